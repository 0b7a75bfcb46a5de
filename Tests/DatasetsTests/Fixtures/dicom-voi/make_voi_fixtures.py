"""VOI LUT and VOI LUT Function fixtures: pydicom's bundled MR_small / CT_small files given a VOI LUT
Sequence or a SIGMOID / LINEAR_EXACT window, and what pydicom 3 displays for each.

Writes here, per file NAME: NAME (the DICOM file), and in reference.safetensors NAME.display, uint8:
pydicom's apply_voi_lut(apply_modality_lut(pixel_array)) (the LUT preferred to the window) scaled to
0...255 as Tessera displays it (a LUT entry e of n bits as e·255/(2ⁿ−1); a window's [y_min, y_max]
onto [0, 255]), rounded, inverted for MONOCHROME1. Run: python make_voi_fixtures.py (pydicom 3, numpy, safetensors).
"""
import copy, numpy as np, pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from safetensors.numpy import save_file


def lut_item(entries, first, bits, curve, vr_descriptor, data_vr="OW", order="<"):
    item = Dataset()
    item.add_new(0x00283002, vr_descriptor, [entries % 65536, first, bits])
    values = np.round(curve(np.linspace(0, 1, entries)) * (2**bits - 1)).astype(f"{order}u2")
    if data_vr == "OW":
        item.add_new(0x00283006, "OW", values.tobytes())
    else:
        item.add_new(0x00283006, "US", [int(v) for v in values])
    item.LUTExplanation = "test curve"
    return item


def voi_sequence(items, undefined_length):
    seq = Sequence(items)
    ds = Dataset()
    ds.VOILUTSequence = seq
    ds["VOILUTSequence"].is_undefined_length = undefined_length
    return ds["VOILUTSequence"]


tensors, written = {}, []


def reference_lut(arr, first, entries):
    """What apply_voi computes, with the index in int64: pydicom 3.0.2 builds it in the LUT's own dtype,
    uint8 for 8-bit entries, so an index past 255 wraps (a pydicom bug this fixture must not copy)."""
    return entries[np.clip(arr.astype(np.int64) - first, 0, len(entries) - 1)]


def write(name, ds, syntax=None, eight_bit_lut=None):
    if syntax is not None:
        ds.file_meta.TransferSyntaxUID = syntax
    ds.save_as(name, enforce_file_format=True)
    back = pydicom.dcmread(name)
    arr = apply_modality_lut(back.pixel_array, back)
    if eight_bit_lut is None:
        y = apply_voi_lut(arr, back).astype(np.float64)
    else:
        y = reference_lut(arr, *eight_bit_lut).astype(np.float64)
    if back.get("VOILUTSequence"):
        display = y * 255 / (2 ** back.VOILUTSequence[0].LUTDescriptor[2] - 1)
    else:
        if back.PixelRepresentation == 0:
            lo, hi = 0, 2**back.BitsStored - 1
        else:
            lo, hi = -(2 ** (back.BitsStored - 1)), 2 ** (back.BitsStored - 1) - 1
        if "RescaleSlope" in back and "RescaleIntercept" in back:
            lo, hi = lo * float(back.RescaleSlope) + float(back.RescaleIntercept), hi * float(back.RescaleSlope) + float(back.RescaleIntercept)
        display = (y - lo) / (hi - lo) * 255
    display = np.clip(np.round(display), 0, 255).astype(np.uint8)
    if back.PhotometricInterpretation == "MONOCHROME1":
        display = 255 - display
    tensors[f"{name}.display"] = np.ascontiguousarray(display)
    written.append(name)


mr = pydicom.dcmread(get_testdata_file("MR_small.dcm"))  # signed 16-bit, values 127...2145, window 600/1600
ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))  # signed 16-bit, rescale 1/−1024, no window

# Explicit VR LE, sequence and item of defined length, 12-bit OW entries (a gamma curve); the window is
# kept and must lose to the LUT.
ds = copy.deepcopy(mr)
ds["VOILUTSequence"] = voi_sequence([lut_item(2048, 100, 12, np.sqrt, "US")], undefined_length=False)
write("MR_small_voi_lut.dcm", ds)

# The same as MONOCHROME1: the LUT, then the inversion.
ds = copy.deepcopy(mr)
ds.PhotometricInterpretation = "MONOCHROME1"
ds["VOILUTSequence"] = voi_sequence([lut_item(2048, 100, 12, np.sqrt, "US")], undefined_length=False)
write("MR_small_monochrome1_voi_lut.dcm", ds)

# Implicit VR LE, sequence of undefined length with two items (the first applies), 8-bit US entries,
# a negative first mapped value (SS: Pixel Representation is 1 and implicit VR carries no VR; pydicom
# reads it so through apply_voi_lut, but as US 65436 when the item is read before the data set).
ds = copy.deepcopy(mr)
first = lut_item(1024, -100, 8, lambda t: t**2, "SS", data_vr="US")
second = lut_item(16, 0, 8, lambda t: 1 - t, "SS", data_vr="US")
ds["VOILUTSequence"] = voi_sequence([first, second], undefined_length=True)
for item in ds.VOILUTSequence:
    item.is_undefined_length_sequence_item = True
lut = np.frombuffer(bytes(np.array(first.LUTData, dtype="<u2").tobytes()), dtype="<u2")
write("MR_small_implicit_voi_lut.dcm", ds, ImplicitVRLittleEndian, eight_bit_lut=(-100, lut))

# Explicit VR big endian, 16-bit OW entries in big-endian words.
ds = pydicom.dcmread(get_testdata_file("MR_small_bigendian.dcm"))
ds["VOILUTSequence"] = voi_sequence([lut_item(4096, 0, 16, lambda t: 0.5 - 0.5 * np.cos(np.pi * t), "US", order=">")],
                                    undefined_length=False)
write("MR_small_bigendian_voi_lut.dcm", ds)

# CT with a window and VOI LUT Function SIGMOID, then LINEAR_EXACT (rescaled values, Hounsfield units).
for function in ("SIGMOID", "LINEAR_EXACT"):
    ds = copy.deepcopy(ct)
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 40, 400, function
    write(f"CT_small_{function.lower()}.dcm", ds)

save_file(tensors, "reference.safetensors")
print("wrote", ", ".join(written))
