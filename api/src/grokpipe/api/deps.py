"""The wiring's dependency: all the :class:`Services`, for the routes that span features (health, alerts,
notifiers). A feature's routes take their own service (:mod:`grokpipe.api.kernel.provide`) and the key
roles (:mod:`grokpipe.api.kernel.access`) instead, so that no feature imports this module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from grokpipe.api.kernel.provide import Provider
from grokpipe.api.services import Services

ServicesDep = Annotated[Services, Depends(Provider(Services))]
