"""Vendor exceptions become ours at the boundary: the table of what is retriable and what is not."""

from __future__ import annotations

from typing import Any

import confluent_kafka
import elastic_transport
import elasticsearch
import kafka.errors
import pytest

from grokpipe.elasticsearch_client import elasticsearch_errors, map_elasticsearch_error
from grokpipe.errors import (
    ElasticsearchConflict,
    ElasticsearchError,
    ElasticsearchNotFound,
    ElasticsearchRejected,
    ElasticsearchUnavailable,
    GrokpipeError,
    KafkaRejected,
    KafkaUnavailable,
    retriable,
)
from grokpipe.kafka_admin import admin_errors
from grokpipe.librdkafka import kafka_error, kafka_errors

NODE = elastic_transport.NodeConfig("http", "127.0.0.1", 9200)


def api_error(status: int, error_type: str = "some_exception") -> elasticsearch.ApiError:
    cls = elasticsearch.exceptions.HTTP_EXCEPTIONS.get(status, elasticsearch.ApiError)
    meta = elastic_transport.ApiResponseMeta(status, "1.1", elastic_transport.HttpHeaders(), 0.01, NODE)
    body: dict[str, Any] = {"error": {"type": error_type, "reason": "because", "root_cause": []}, "status": status}
    return cls(error_type, meta=meta, body=body)


@pytest.mark.parametrize(
    ("raised", "expected", "status"),
    [
        (elastic_transport.ConnectionError("refused"), ElasticsearchUnavailable, 0),
        (elastic_transport.ConnectionTimeout("timed out"), ElasticsearchUnavailable, 0),
        (elastic_transport.TransportError("reset"), ElasticsearchUnavailable, 0),
        (api_error(429, "es_rejected_execution_exception"), ElasticsearchUnavailable, 429),
        (api_error(500), ElasticsearchUnavailable, 500),
        (api_error(502), ElasticsearchUnavailable, 502),
        (api_error(503, "cluster_block_exception"), ElasticsearchUnavailable, 503),
        (api_error(504), ElasticsearchUnavailable, 504),
        (api_error(400, "mapper_parsing_exception"), ElasticsearchRejected, 400),
        (api_error(401), ElasticsearchRejected, 401),
        (api_error(403), ElasticsearchRejected, 403),
        (api_error(404, "index_not_found_exception"), ElasticsearchNotFound, 404),
        (api_error(409, "version_conflict_engine_exception"), ElasticsearchConflict, 409),
        (api_error(413), ElasticsearchRejected, 413),
        (elastic_transport.TlsError("handshake cut"), ElasticsearchUnavailable, 0),
        (elastic_transport.SerializationError("not JSON"), ElasticsearchRejected, 0),
    ],
)
def test_elasticsearch_mapping(raised: Exception, expected: type[ElasticsearchError], status: int) -> None:
    with pytest.raises(ElasticsearchError) as caught, elasticsearch_errors("writing history"):
        raise raised
    error = caught.value
    assert type(error) is expected
    assert error.status == status
    assert error.retriable is (expected is ElasticsearchUnavailable)
    assert retriable(error) is error.retriable
    assert error.__cause__ is raised
    assert str(error).startswith("writing history failed")
    if isinstance(raised, elasticsearch.ApiError):
        assert error.error_type == raised.body["error"]["type"]


def test_other_exceptions_pass_through_unmapped() -> None:
    with pytest.raises(KeyError), elasticsearch_errors():
        raise KeyError("a bug, not an outage")


def test_mapping_is_a_decorator_too() -> None:
    @elasticsearch_errors("pinging")
    def ping() -> None:
        raise elastic_transport.ConnectionError("refused")

    with pytest.raises(ElasticsearchUnavailable):
        ping()


def test_map_function_names_the_action() -> None:
    error = map_elasticsearch_error(api_error(400, "illegal_argument_exception"), "creating index x")
    assert str(error) == "creating index x failed: HTTP 400 illegal_argument_exception"


K = confluent_kafka.KafkaError


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (K(K._ALL_BROKERS_DOWN), KafkaUnavailable),
        (K(K._TRANSPORT), KafkaUnavailable),
        (K(K._MSG_TIMED_OUT), KafkaUnavailable),
        (K(K.REQUEST_TIMED_OUT), KafkaUnavailable),
        (K(K.NOT_ENOUGH_REPLICAS), KafkaUnavailable),
        (K(K.UNKNOWN, retriable=True), KafkaUnavailable),  # librdkafka's own retriable flag wins
        (K(K._TRANSPORT, fatal=True), KafkaRejected),  # fatal: the client instance is unusable
        (K(K.TOPIC_AUTHORIZATION_FAILED), KafkaRejected),
        (K(K.MSG_SIZE_TOO_LARGE), KafkaRejected),
        (K(K.UNKNOWN_TOPIC_OR_PART), KafkaRejected),
    ],
)
def test_kafka_mapping(error: confluent_kafka.KafkaError, expected: type[GrokpipeError]) -> None:
    mapped = kafka_error(error, "producing")
    assert type(mapped) is expected
    assert mapped.retriable is (expected is KafkaUnavailable)
    assert str(mapped).startswith("producing failed: ")
    with pytest.raises(expected) as caught, kafka_errors("committing"):
        raise confluent_kafka.KafkaException(error)
    assert isinstance(caught.value.__cause__, confluent_kafka.KafkaException)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (kafka.errors.KafkaTimeoutError("Unable to bootstrap"), KafkaUnavailable),
        (kafka.errors.KafkaConnectionError("refused"), KafkaUnavailable),
        (kafka.errors.NodeNotReadyError(), KafkaUnavailable),
        (kafka.errors.TopicAuthorizationFailedError(), KafkaRejected),
        (kafka.errors.InvalidReplicationFactorError(), KafkaRejected),
    ],
)
def test_kafka_python_mapping(error: kafka.errors.KafkaError, expected: type[GrokpipeError]) -> None:
    with pytest.raises(expected) as caught, admin_errors("creating topic"):
        raise error
    assert caught.value.retriable is (expected is KafkaUnavailable)
    assert caught.value.__cause__ is error


def test_kafka_exception_without_an_error_is_not_retriable() -> None:
    assert type(kafka_error(confluent_kafka.KafkaException("odd"))) is KafkaRejected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ElasticsearchUnavailable("x"), True),
        (ElasticsearchRejected("x"), False),
        (GrokpipeError("x"), False),
        (ValueError("a bug"), False),
        (K(K._TRANSPORT, retriable=True), True),  # an object whose ``retriable`` is a method
    ],
)
def test_retriable_reads_the_flag(exc: Any, expected: bool) -> None:
    assert retriable(exc) is expected
