"""Debian's headless Chromium driven by selenium: start, emulate a phone or dark mode, screenshot,
and list every request the pages made (Chrome's performance log)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"


def _binaries() -> tuple[str, str] | None:
    binary = next((p for p in (shutil.which(n) for n in CHROMIUM) if p), None)
    driver = shutil.which(DRIVER)
    return (binary, driver) if binary and driver else None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium session (1280x900). Missing chromium skips the test, except in CI."""
    found = _binaries()
    if found is None:
        reason = "chromium and chromium-driver are not installed (make test installs them with apt-get)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: Any) -> list[str]:
    """URLs of the requests the pages sent since the last call (the log is drained by reading it)."""
    urls: list[str] = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def color_scheme(driver: Any, scheme: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )


def phone(driver: Any, on: bool) -> None:
    if on:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
        )
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(driver: Any, path: Path) -> Path:
    """The whole page (not just the viewport) as a PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    import base64

    path.write_bytes(base64.b64decode(data["data"]))
    return path


def replaced(page: Any) -> bool:
    """``page`` is no longer the document. Chromedriver sometimes says so with "Node with given id does
    not belong to the document" rather than a stale element (SeleniumHQ/selenium#15401), which
    ``expected_conditions.staleness_of`` does not catch."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc.msg):
            return True
        raise
    return False
