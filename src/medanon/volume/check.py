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
# Besides the level ring, a ring of views from 20 degrees above: a head lying chin-up 20 degrees turns its face
# away from a level camera, and the level ring found it at 5 of 7 angles; from above, at all 7. A view counts
# as "face found" when any ring finds it there, so the extra ring only makes the check stricter. No ring from
# below: chin-down heads are found from the level ring already, and from below the cut surface of a correctly
# defaced real head (opened sinuses and orbits, seen end-on like a skull) made the detector fire at 6 of 7 views.
EXTRA_ELEVATIONS = (20.0,)


@dataclass
class FaceCheck:
    """Per view angle: the render and the face boxes found on it (in render pixels)."""

    angles: tuple[float, ...]
    images: list[np.ndarray]
    faces: list[list[tuple[int, int, int, int]]] = field(default_factory=list)
    # Rings of views from above and below (``EXTRA_ELEVATIONS``): elevation -> (images, faces) per angle.
    rings: dict[float, tuple[list[np.ndarray], list[list[tuple[int, int, int, int]]]]] = field(default_factory=dict)

    @property
    def views_with_face(self) -> list[float]:
        """Angles at which any ring (level, above, below) found a face."""
        found = [bool(boxes) for boxes in self.faces]
        for _, faces in self.rings.values():
            found = [seen or bool(boxes) for seen, boxes in zip(found, faces, strict=True)]
        return [angle for angle, seen in zip(self.angles, found, strict=True) if seen]

    def preview(self) -> Image.Image:
        """All views, one row per ring (level first), detected faces outlined: the report's picture."""
        from PIL import ImageDraw

        rows = [(self.images, self.faces), *self.rings.values()]
        height = max(image.shape[0] for images, _ in rows for image in images)
        width = max(sum(image.shape[1] for image in images) for images, _ in rows)
        sheet = Image.new("RGB", (width, height * len(rows)))
        draw = ImageDraw.Draw(sheet)
        for row, (images, faces) in enumerate(rows):
            x, y = 0, row * height
            for image, boxes in zip(images, faces, strict=True):
                sheet.paste(Image.fromarray(image).convert("RGB"), (x, y))
                for bx, by, bw, bh in boxes:
                    draw.rectangle((x + bx, y + by, x + bx + bw, y + by + bh), outline=(255, 60, 60), width=2)
                x += image.shape[1]
        return sheet


def check_faces(volume: Volume, threshold: float | None = None, modality: str | None = None,
                angles: tuple[float, ...] = VIEW_ANGLES,
                elevations: tuple[float, ...] = EXTRA_ELEVATIONS) -> FaceCheck:
    """Render ``volume``'s skin at each angle (level, and from each of ``elevations``) and run the face
    detector on every view."""
    modality = modality or segment.guess_modality(volume.data, volume.modality)
    values, grid = resample(volume, RENDER_MM)
    level = segment.skin_threshold(values, modality) if threshold is None else threshold
    skin = segment.skin_mask(values, level)
    smooth = smoothing_mm(_coarsest_step(volume))
    images = render_views(values, skin, level, grid, angles, smooth)
    rings = {}
    for elevation in elevations:
        raised = render_views(values, skin, level, grid, angles, smooth, elevation)
        rings[elevation] = (raised, [_detect(image) for image in raised])
    return FaceCheck(angles=tuple(angles), images=images, faces=[_detect(image) for image in images], rings=rings)


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
