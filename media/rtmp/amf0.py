"""AMF0, the value encoding of RTMP commands and metadata (Adobe AMF0 specification)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

NUMBER = 0x00
BOOLEAN = 0x01
STRING = 0x02
OBJECT = 0x03
NULL = 0x05
UNDEFINED = 0x06
ECMA_ARRAY = 0x08
OBJECT_END = 0x09
STRICT_ARRAY = 0x0A
DATE = 0x0B
LONG_STRING = 0x0C

MAX_DEPTH = 16


class AmfError(ValueError):
    """The bytes are not valid AMF0 (or use a type RTMP publishers never send)."""


class Undefined:
    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED_VALUE = Undefined()


class EcmaArray(dict[str, "AmfValue"]):
    """An associative array; encoded with type 0x08 rather than as an anonymous object."""


@dataclass(frozen=True, slots=True)
class AmfDate:
    milliseconds: float
    timezone: int = 0


AmfValue: TypeAlias = (
    float | bool | str | Undefined | dict[str, "AmfValue"] | list["AmfValue"] | AmfDate | None
)


def decode(data: bytes) -> list[AmfValue]:
    """All values in ``data``, in order."""
    reader = _Reader(memoryview(data))
    values: list[AmfValue] = []
    while reader.pos < len(reader.data):
        values.append(reader.value(0))
    return values


def encode(*values: AmfValue) -> bytes:
    out = bytearray()
    for value in values:
        _write(out, value, 0)
    return bytes(out)


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise AmfError(f"truncated AMF0 value at byte {self.pos}")
        chunk = bytes(self.data[self.pos : end])
        self.pos = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def string(self, size_bytes: int) -> str:
        (length,) = struct.unpack(">H" if size_bytes == 2 else ">I", self.take(size_bytes))
        try:
            return self.take(length).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AmfError(f"AMF0 string is not UTF-8: {exc}") from None

    def properties(self, depth: int) -> dict[str, AmfValue]:
        props: dict[str, AmfValue] = {}
        while True:
            key = self.string(2)
            if key == "":
                if self.u8() != OBJECT_END:
                    raise AmfError("AMF0 object without its end marker")
                return props
            props[key] = self.value(depth + 1)

    def value(self, depth: int) -> AmfValue:  # noqa: PLR0911 - one return per AMF0 type
        if depth > MAX_DEPTH:
            raise AmfError("AMF0 value nested too deeply")
        marker = self.u8()
        if marker == NUMBER:
            return float(struct.unpack(">d", self.take(8))[0])
        if marker == BOOLEAN:
            return self.u8() != 0
        if marker == STRING:
            return self.string(2)
        if marker == LONG_STRING:
            return self.string(4)
        if marker == OBJECT:
            return self.properties(depth)
        if marker == NULL:
            return None
        if marker == UNDEFINED:
            return UNDEFINED_VALUE
        if marker == ECMA_ARRAY:
            self.take(4)  # the count is advisory; the end marker is authoritative
            return EcmaArray(self.properties(depth))
        if marker == STRICT_ARRAY:
            (count,) = struct.unpack(">I", self.take(4))
            if count > len(self.data) - self.pos:
                raise AmfError("AMF0 array longer than its message")
            return [self.value(depth + 1) for _ in range(count)]
        if marker == DATE:
            ms, tz = struct.unpack(">dh", self.take(10))
            return AmfDate(float(ms), int(tz))
        raise AmfError(f"unsupported AMF0 type 0x{marker:02x} at byte {self.pos - 1}")


def _write_string_body(out: bytearray, text: str) -> None:
    raw = text.encode("utf-8")
    out += struct.pack(">H", len(raw))
    out += raw


def _write_properties(out: bytearray, props: dict[str, AmfValue], depth: int) -> None:
    for key, item in props.items():
        _write_string_body(out, key)
        _write(out, item, depth + 1)
    out += b"\x00\x00" + bytes([OBJECT_END])


def _write(out: bytearray, value: AmfValue, depth: int) -> None:  # noqa: PLR0912
    if depth > MAX_DEPTH:
        raise AmfError("AMF0 value nested too deeply")
    if isinstance(value, bool):
        out += bytes([BOOLEAN, 1 if value else 0])
    elif isinstance(value, int | float):
        out += bytes([NUMBER]) + struct.pack(">d", float(value))
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            out += bytes([LONG_STRING]) + struct.pack(">I", len(raw)) + raw
        else:
            out += bytes([STRING]) + struct.pack(">H", len(raw)) + raw
    elif value is None:
        out.append(NULL)
    elif isinstance(value, Undefined):
        out.append(UNDEFINED)
    elif isinstance(value, EcmaArray):
        out += bytes([ECMA_ARRAY]) + struct.pack(">I", len(value))
        _write_properties(out, value, depth)
    elif isinstance(value, dict):
        out.append(OBJECT)
        _write_properties(out, value, depth)
    elif isinstance(value, list):
        out += bytes([STRICT_ARRAY]) + struct.pack(">I", len(value))
        for item in value:
            _write(out, item, depth + 1)
    elif isinstance(value, AmfDate):
        out += bytes([DATE]) + struct.pack(">dh", value.milliseconds, value.timezone)
    else:  # pragma: no cover - guarded by the type
        raise AmfError(f"cannot encode {type(value).__name__} as AMF0")
