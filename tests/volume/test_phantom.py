"""The synthetic head's face is in the range of adult norms, so render-check results on it mean something."""

from __future__ import annotations

import numpy as np

from medanon.volume.phantom import label_points


def test_the_nose_has_adult_proportions_and_projects_most_near_its_tip() -> None:
    x, a, z = np.meshgrid(np.arange(-30.0, 30.0, 0.5), np.arange(60.0, 130.0, 0.5), np.arange(-70.0, 20.0, 0.5),
                          indexing="ij")
    grid = np.stack([x, a, z], -1)
    _, _, regions = label_points(grid)
    points = grid[regions["nose"]]
    width = np.ptp(points[:, 0])
    height = np.ptp(points[:, 2])
    assert 29.0 <= width <= 37.0  # alar width, about 31-35 mm in adults
    assert 48.0 <= height <= 58.0  # nasion to subnasale, about 50-55 mm
    heights = np.unique(points[:, 2])
    fronts = np.array([points[points[:, 2] == z, 1].max() for z in heights])  # most anterior point per height
    tip = heights[np.argmax(fronts)]
    assert tip < -30.0  # the tip is low, near the base, not level with the eyes (centres at -3)
    eye_level_front = fronts[np.argmin(np.abs(heights + 3.0))]
    assert fronts.max() - eye_level_front >= 10.0  # the bridge between the eyes sits well behind the tip
