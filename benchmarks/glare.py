"""What PixelPerfect can read of glare on glasses: the ground for a check that fails an ID photo whose lens reflection
hides an eye (ISO/IEC 19794-5 asks for no flash reflections on glasses; OFIQ has no measure for it), which no check
reads yet.

    python -m benchmarks.glare [--shared ../shared]

On the faces of `benchmarks/labels/glare.csv` (UTKFace faces the glasses model ranks most likely to wear glasses,
and the AFLW2000 and real photos it names glasses on), two readings against the labels, glare over an eye (2) and any
glare (1 or 2) against none:

- the share of each lens brighter than the cheeks' 90th percentile, the larger of the two (`lens_brightness`, on
  the band `eyewear.eye_band` gives the glasses and dark-lens checks), scored as it is;
- a linear probe (`pixelperfect.training.linear`, settings and threshold by 5-fold cross-validation) on the shipped
  defect model's backbone, which every photo already goes through: its pooled output and the mean of the patch rows
  at eye height.

Prints Markdown (AUC, and the balanced accuracy at the best threshold, over all rows and over those the labeller was
sure of); not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from benchmarks.coverings import SHIPPED, backbone_features
from pixelperfect.checks import face_geometry
from pixelperfect.eyewear import CHEEK_BOXES, eye_band
from pixelperfect.faces import crop_face, find_face
from pixelperfect.images import load_image
from pixelperfect.training.linear import area_under_curve, balanced_accuracy, choose

LABELS = Path(__file__).parent / "labels" / "glare.csv"
# In the band (eyes at (39.5, 20) and (79.5, 20), 40 px apart): each lens, the eye box widened by a few pixels (a
# box reaching the brows and cheeks read 0.61 instead of 0.75).
LENS_BOXES = ((26, 54, 11, 27), (66, 94, 11, 27))


def lens_brightness(band: np.ndarray) -> float:
    """The larger share of a lens's pixels brighter than the cheeks' 90th percentile."""
    cheeks = np.concatenate([band[y0:y1, x0:x1].ravel() for x0, x1, y0, y1 in CHEEK_BOXES])
    bright = np.percentile(cheeks, 90)
    return max(float((band[y0:y1, x0:x1] > bright).mean()) for x0, x1, y0, y1 in LENS_BOXES)


def best_balanced_accuracy(scores: np.ndarray, truth: np.ndarray) -> float:
    return max(balanced_accuracy(truth, scores > threshold) for threshold in np.unique(scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args(argv)
    rows, brightness, crops = [], [], []
    with LABELS.open() as labels:
        for row in csv.DictReader(labels):
            photo = load_image(args.shared / row["file"])
            found = find_face(photo)
            if (geometry := face_geometry(photo, found)) is not None:
                rows.append(row)
                brightness.append(lens_brightness(eye_band(photo, geometry.mesh)))
                crops.append(crop_face(photo, found.main))
    glare = np.array([int(row["glare"]) for row in rows])
    sure = np.array(["glare" not in row["unsure"] for row in rows])
    utkface = np.array([row["file"].startswith("utkface/") for row in rows])
    shipped, _ = backbone_features(str(SHIPPED), [crop for crop, own in zip(crops, utkface) if own])
    features = np.hstack([shipped["pooled"], shipped["eyes"]])
    print(f"{len(rows)} labelled faces with landmarks: {utkface.sum()} UTKFace (glare over an eye "
          f"{(glare[utkface] == 2).sum()}, elsewhere on a lens {(glare[utkface] == 1).sum()}), "
          f"{(~utkface).sum()} AFLW2000 and real photos ({(glare[~utkface] == 2).sum()} · "
          f"{(glare[~utkface] == 1).sum()}: too few to measure on).\n")
    print("| reading | label | UTKFace, all rows: AUC · best balanced accuracy (positives/rows) | labelled sure |")
    print("|---|---|---|---|")
    for label, positive in (("glare over an eye", glare == 2), ("any glare", glare >= 1)):
        cells = []
        for rows_used in (utkface, utkface & sure):
            scores, truth = np.array(brightness)[rows_used], positive[rows_used]
            cells.append(f"{area_under_curve(scores, truth):.3f} · {best_balanced_accuracy(scores, truth):.3f} "
                         f"({truth.sum()}/{rows_used.sum()})")
        print(f"| lens brighter than the cheeks | {label} | " + " | ".join(cells) + " |")
        cells = []
        for among in (np.ones(utkface.sum(), bool), sure[utkface]):
            chosen = choose(features[among], positive[utkface][among], (8, 16, 32, 64), (1.0, 10.0, 100.0))
            cells.append(f"{chosen['cv_auc']:.3f} · {chosen['cv_balanced_accuracy']:.3f} "
                         f"({positive[utkface][among].sum()}/{among.sum()}; 5-fold)")
        print(f"| shipped backbone, linear probe | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
