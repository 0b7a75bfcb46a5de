"""every_dtype.safetensors: one tensor per safetensors dtype, written by the official Rust writer
(safetensors 0.8's serialize_file, which lays data out by alignment, not by name), and
every_dtype.json with each tensor's dtype, shape and values as Python reads them back
(BF16 and F16 widened exactly to float). Run: python make_dtype_fixture.py (numpy, safetensors)."""
import json, struct, numpy as np
from safetensors import TensorSpec, serialize_file

def bf16(values):  # float32 values exactly representable in bfloat16: their high halves
    return b"".join(struct.pack("<f", v)[2:] for v in values)

tensors = {
    "f64": ("float64", [2], np.array([1.0e30, -0.1], "<f8").tobytes()),
    "f32": ("float32", [2, 2], np.array([1.5, -2.25, 3.4028235e38, -0.0], "<f4").tobytes()),
    "f16": ("float16", [3], np.array([65504, -0.000061035156, 0.333251953125], "<f2").tobytes()),
    "bf16": ("bfloat16", [3], bf16([1.0, -3.3895314e38, 0.0078125])),
    "i64": ("int64", [2], np.array([-(2**62), 2**40 + 3], "<i8").tobytes()),
    "i32": ("int32", [1, 2], np.array([-(2**31), 2**31 - 1], "<i4").tobytes()),
    "i16": ("int16", [2], np.array([-32768, 32767], "<i2").tobytes()),
    "i8": ("int8", [3], np.array([-128, 0, 127], "i1").tobytes()),
    "u16": ("uint16", [2], np.array([0, 65535], "<u2").tobytes()),
    "u8": ("uint8", [2], np.array([7, 255], "u1").tobytes()),
    "bool": ("bool", [3], np.array([True, False, True]).tobytes()),
    "scalar": ("float32", [], np.array([42.0], "<f4").tobytes()),
    "empty": ("int32", [0, 3], b""),
}
buffers = {n: np.frombuffer(b, "u1").copy() for n, (_, _, b) in tensors.items()}  # alive while written
serialize_file({n: TensorSpec(dtype=d, shape=s, data_ptr=buffers[n].ctypes.data, data_len=len(b)) for n, (d, s, b) in tensors.items()},
               "every_dtype.safetensors", metadata={"format": "pt", "source": "safetensors 0.8"})
numpy_type = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "int64": "<i8", "int32": "<i4", "int16": "<i2",
              "int8": "i1", "uint16": "<u2", "uint8": "u1", "bool": "?"}
expected = {}
for name, (dtype, shape, raw) in tensors.items():
    if dtype == "bfloat16":
        values = [struct.unpack("<f", b"\0\0" + raw[i:i + 2])[0] for i in range(0, len(raw), 2)]
    else:
        values = [float(v) if dtype.startswith("float") else int(v) for v in np.frombuffer(raw, numpy_type[dtype])]
    expected[name] = {"dtype": {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64",
                                "int32": "I32", "int16": "I16", "int8": "I8", "uint16": "U16", "uint8": "U8", "bool": "BOOL"}[dtype],
                      "shape": shape, "values": values}
json.dump(expected, open("every_dtype.json", "w"), indent=1)
print("wrote every_dtype.safetensors and every_dtype.json")
