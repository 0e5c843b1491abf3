"""The AsyncAPI 3 document of Meria's bus, generated from the event contracts.

`meria asyncapi` writes it to `docs/asyncapi.json`; a test fails when the committed file
differs from what the contracts say.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from meria.bus.streams import DEAD_LETTER_PREFIX
from meria.contracts import EVENT_TYPES, CloudEvent, Event

CONTRACTS_PACKAGE = "meria.contracts"


def contract_events() -> list[type[Event]]:
    """The events of the product's contracts (tests may register events of their own)."""
    events = [
        model for model in EVENT_TYPES.values() if model.__module__.startswith(CONTRACTS_PACKAGE)
    ]
    return sorted(events, key=lambda model: model.subject)


def _schema(model: type[BaseModel], definitions: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        definitions[name] = definition
    return schema


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    envelope = _schema(CloudEvent, schemas)
    envelope["properties"].pop("data", None)
    schemas["CloudEvent"] = envelope
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model in contract_events():
        name = model.__name__
        schemas[name] = _schema(model, schemas)
        messages[name] = {
            "name": name,
            "title": name,
            "summary": model.summary or (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {
                    "Nats-Msg-Id": {"type": "string", "description": "The CloudEvent id"},
                    "traceparent": {"type": "string", "description": "W3C trace context"},
                },
            },
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/CloudEvent"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": model.type_name()},
                            "source": {"const": f"/meria/{model.service()}"},
                            "data": {"$ref": f"#/components/schemas/{name}"},
                        },
                    },
                ]
            },
        }
        channel = model.subject.replace(".", "_")
        channels[channel] = {
            "address": model.subject,
            "description": (model.__doc__ or "").strip(),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"{model.service()}_sends_{channel}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {model.service()} service publishes this through its outbox.",
        }
    channels["deadletter"] = {
        "address": f"{DEAD_LETTER_PREFIX}.{{consumer}}",
        "description": "Messages a consumer could not apply, unchanged, with the reason in "
        "the headers Meria-Dead-Letter-Kind and Meria-Dead-Letter-Reason.",
        "parameters": {"consumer": {"description": "The durable consumer's name"}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Meria event bus",
            "version": "1.0.0",
            "description": "Domain events of Meria's services on NATS JetStream, each a "
            "CloudEvents 1.0 JSON envelope. Delivery is at least once; use the CloudEvent "
            "id (also the Nats-Msg-Id header) to apply each event once.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "development": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "nats-server started by `make run`",
                "security": [{"$ref": "#/components/securitySchemes/natsUser"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": {
                "natsUser": {
                    "type": "userPassword",
                    "description": "Every connection is a NATS user with a password; each "
                    "may publish only its own service's subjects and read only what it is "
                    "allowed. Integrators read as a user the operator gives them.",
                }
            },
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
