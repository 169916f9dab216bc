"""The face check: render the skin surface from several angles and ask a face detector.

This is the proof the issue asks for. It reads only the volume it is given
(values and header geometry), never the defacing plan, so a bug in the cut
cannot also hide its own result. A detector error means "could not check"
and is raised, never read as "no face" (DESIGN.md "Fail closed").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from medanon.volume import _faces, segment
from medanon.volume.grid import resample
from medanon.volume.model import Volume
from medanon.volume.render import VIEW_ANGLES, render_views, smoothing_mm

RENDER_MM = 1.5
DETECT_SCALE = 2


@dataclass
class FaceCheck:
    """Per view angle: the render and the face boxes found on it (in render pixels)."""

    angles: tuple[float, ...]
    images: list[np.ndarray]
    faces: list[list[tuple[int, int, int, int]]] = field(default_factory=list)

    @property
    def views_with_face(self) -> list[float]:
        return [angle for angle, boxes in zip(self.angles, self.faces, strict=True) if boxes]

    def preview(self) -> Image.Image:
        """All views side by side, detected faces outlined: the report's picture."""
        from PIL import ImageDraw

        height = max(image.shape[0] for image in self.images)
        strip = Image.new("RGB", (sum(image.shape[1] for image in self.images), height))
        x = 0
        draw = ImageDraw.Draw(strip)
        for image, boxes in zip(self.images, self.faces, strict=True):
            strip.paste(Image.fromarray(image).convert("RGB"), (x, 0))
            for bx, by, bw, bh in boxes:
                draw.rectangle((x + bx, by, x + bx + bw, by + bh), outline=(255, 60, 60), width=2)
            x += image.shape[1]
        return strip


def check_faces(volume: Volume, threshold: float | None = None, modality: str | None = None,
                angles: tuple[float, ...] = VIEW_ANGLES) -> FaceCheck:
    """Render ``volume``'s skin at each angle and run the face detector on every view."""
    modality = modality or segment.guess_modality(volume.data, volume.modality)
    values, grid = resample(volume, RENDER_MM)
    level = segment.skin_threshold(values, modality) if threshold is None else threshold
    skin = segment.skin_mask(values, level)
    images = render_views(values, skin, level, grid, angles, smoothing_mm(_coarsest_step(volume)))
    faces = [_detect(image) for image in images]
    return FaceCheck(angles=tuple(angles), images=images, faces=faces)


def _coarsest_step(volume: Volume) -> float:
    """The volume's largest voxel step in mm (in-plane or between slices): the scale of its terraces."""
    geometry = volume.geometry
    gaps = np.abs(np.diff(geometry.slice_depths()))
    return float(max(np.linalg.norm(geometry.column_step), np.linalg.norm(geometry.row_step),
                     np.median(gaps) if len(gaps) else 0.0))


def _detect(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    big = np.asarray(Image.fromarray(image).resize((image.shape[1] * DETECT_SCALE, image.shape[0] * DETECT_SCALE),
                                                   Image.Resampling.BILINEAR))
    return [(x // DETECT_SCALE, y // DETECT_SCALE, w // DETECT_SCALE, h // DETECT_SCALE)
            for x, y, w, h in _faces.find_faces(big)]
