"""The values of an elements attribute as a numpy array, read in bulk.

Two kinds of initial value reach the C writer: `dense<...>` (our own
globals, splat or not) and `dense_resource<name>` (torch-mlir imports
literal tensors and module buffers such as BatchNorm's running statistics
as blobs). A dense attribute is read through the bindings' buffer protocol
(`np.array(attr)`); a resource blob has no Python accessor, so it is read
from the module text that holds it alone, where MLIR prints it as
`name: "0x<alignment: 4 bytes LE><raw data>"` in the `dialect_resources`
section (C++ hex-encodes it, numpy decodes it: no per-element call).
"""

from __future__ import annotations

import math
import re

import numpy as np
from torch_mlir import ir

from edgeft.ir.errors import UserError

# MLIR element type -> the numpy type of its storage (i1 takes a byte; index is 64-bit).
STORAGE = {"f64": np.float64, "f32": np.float32, "f16": np.float16,
           "i1": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
           "ui8": np.uint8, "ui16": np.uint16, "ui32": np.uint32, "ui64": np.uint64,
           "index": np.int64}
_RESOURCE_NAME = re.compile(r"dense_resource<([^>]*)>")
_BLOB = re.compile(r'"0x([0-9A-Fa-f]*)"')
_BLOB_HEADER = 4  # bytes: the blob's alignment, before its data


def is_resource(attr: ir.Attribute) -> bool:
    """Whether `attr` is a `dense_resource` blob (not a dense attribute)."""
    try:  # the bindings do not downcast resource attributes: try the cast
        ir.DenseResourceElementsAttr(attr)
    except ValueError:
        return False
    return True


def is_splat(attr: ir.Attribute) -> bool:
    """Whether `attr` is a dense attribute holding one value for all elements
    (a resource blob is never taken as a splat: its bytes are not inspected)."""
    return not is_resource(attr) and ir.DenseElementsAttr(attr).is_splat


def values(attr: ir.Attribute) -> np.ndarray:
    """Every element of a dense or dense_resource attribute, in its shape, as
    numpy storage of the element type (STORAGE; bf16 has none in numpy and is
    refused)."""
    shaped = ir.ShapedType(attr.type)
    element = str(shaped.element_type)
    if element not in STORAGE:
        raise UserError(f"initial values of element type {element} are not supported "
                        f"(known: {', '.join(STORAGE)})")
    flat = _resource_values(attr, element) if is_resource(attr) else \
        _dense_values(ir.DenseElementsAttr(attr), element)
    return flat.reshape(shaped.shape)


def _dense_values(dense: ir.DenseElementsAttr, element: str) -> np.ndarray:
    array = np.array(dense)
    if array.size != math.prod(ir.ShapedType(dense.type).shape):
        array = np.full(ir.ShapedType(dense.type).shape, array.ravel()[0])
    return np.ascontiguousarray(array).ravel().astype(STORAGE[element], copy=False)


def _resource_values(attr: ir.Attribute, element: str) -> np.ndarray:
    match = _RESOURCE_NAME.search(str(attr))
    name = match.group(1) if match else str(attr)
    with attr.context, ir.Location.unknown():
        holder = ir.Module.create()
        holder.operation.attributes["value"] = attr
        text = holder.operation.get_asm()
    blobs = _BLOB.findall(text)
    if len(blobs) != 1:
        raise UserError(f"dense_resource<{name}> has no data (an elided or missing blob)")
    data = bytes.fromhex(blobs[0])[_BLOB_HEADER:]
    dtype = np.dtype(STORAGE[element])
    count = math.prod(ir.ShapedType(attr.type).shape)
    if len(data) != count * dtype.itemsize:
        raise UserError(f"dense_resource<{name}> holds {len(data)} bytes, its type "
                        f"{attr.type} needs {count * dtype.itemsize}")
    return np.frombuffer(data, dtype=dtype).copy()


def splat_value(attr: ir.Attribute) -> np.ndarray | None:
    """The one value of a splat dense attribute as a 1-element array (in its
    STORAGE type), without expanding the splat; None if `attr` is no splat."""
    if not is_splat(attr):
        return None
    dense = ir.DenseElementsAttr(attr)
    element = ir.ShapedType(dense.type).element_type
    with attr.context, ir.Location.unknown():
        one = ir.DenseElementsAttr.get_splat(ir.RankedTensorType.get([1], element),
                                             dense.get_splat_value())
    return _dense_values(one, str(element))
