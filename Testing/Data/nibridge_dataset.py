"""A dataset of the kind people convert for machine learning, written at test time: a tree of a few hundred
small images of mixed formats and sizes, with a few corrupt files among them.

``write_dataset(root, count)`` writes ``count`` generated images (NIfTI-1 ``.nii`` / ``.nii.gz``, NIfTI-2,
Analyze/NIfTI pairs, MGH ``.mgh`` / ``.mgz``; several dtypes, scaled ones, 3-D and 4-D, oblique affines) in a
BIDS-like tree ``sub-XX/anat|func``, copies the images nibabel ships for the formats NiBridge reads through
nibabel (MINC1/2, PAR/REC, AFNI, ECAT: files real tools wrote) into ``sub-shipped/``, and writes the corpus's
broken files (truncated, bad CRC, garbled) into ``sub-corrupt/``. It returns a ``Dataset`` naming the good
inputs and the corrupt ones. ``write_uniform(root, count, suffix)`` writes ``count`` small files of one format,
for the benchmarks.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nibabel_corpus as corpus  # noqa: E402

# Shipped files read through nibabel, with the data files that go with them.
SHIPPED = (
    ("tiny.mnc",),
    ("minc2_1_scale.mnc",),
    ("phantom_varscale.PAR", "phantom_varscale.REC"),
    ("example4d+orig.HEAD", "example4d+orig.BRIK.gz"),
    ("scaled+tlrc.HEAD", "scaled+tlrc.BRIK"),
    ("tinypet.v",),
)
CORRUPT = ("truncated.nii", "truncated.nii.gz", "bad-crc.nii.gz", "garbled.nii.gz", "truncated.mgz", "bad-crc.mgz")
FORMS = (
    (nib.Nifti1Image, ".nii.gz"),
    (nib.Nifti1Image, ".nii"),
    (nib.Nifti2Image, ".nii.gz"),
    (nib.Nifti1Pair, ".hdr"),
    (nib.MGHImage, ".mgz"),
    (nib.MGHImage, ".mgh"),
)
DTYPES = ("int16", "uint8", "float32", "int32")


@dataclasses.dataclass
class Dataset:
    root: Path
    good: list[Path]  # the inputs that convert: the header file of a pair
    corrupt: list[Path]

    @property
    def inputs(self) -> list[Path]:
        return sorted(self.good + self.corrupt)


def _image(image_class, shape, dtype, seed, scaled):
    values = (
        corpus.integer_values(shape, dtype, seed) if dtype != "float32" else corpus.sample_values(shape, dtype, seed)
    )
    image = image_class(values, corpus.oblique_affine(seed, flip=seed % 2 == 1, far=150.0))
    if scaled and image_class is not nib.MGHImage:
        image.header.set_slope_inter(0.5 + seed % 7 * 0.25, seed % 5 - 2.0)
    return image


def write_generated(path: Path, image_class, seed: int) -> Path:
    """One small image of `image_class` at `path`: its shape, dtype and scaling follow from `seed`."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(size) for size in rng.integers(3, 17, 3))
    if seed % 5 == 0:
        shape += (int(rng.integers(2, 5)),)
    dtype = DTYPES[seed % len(DTYPES)]
    if image_class is nib.MGHImage and dtype == "int16":
        dtype = "int16"  # MGH takes uint8, int16, int32 and float32: all of DTYPES
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(_image(image_class, shape, dtype, seed, scaled=seed % 3 == 0), path)
    return path


def write_dataset(root, count: int = 300) -> Dataset:
    root = Path(root)
    good = []
    for number in range(count):
        image_class, suffix = FORMS[number % len(FORMS)]
        kind = "func" if number % 4 == 0 else "anat"
        path = root / f"sub-{number // 10:02d}" / kind / f"run-{number:03d}{suffix}"
        good.append(write_generated(path, image_class, number))
    shipped = root / "sub-shipped"
    shipped.mkdir(parents=True, exist_ok=True)
    for names in SHIPPED:
        for name in names:
            shutil.copyfile(Path(corpus.data_path) / name, shipped / name)
        good.append(shipped / names[0])
    corrupt_directory = root / "sub-corrupt"
    corrupt_directory.mkdir(parents=True, exist_ok=True)
    writers = {case.name: case for case in corpus.planned_broken_cases()}
    corrupt = []
    for number, name in enumerate(CORRUPT):
        directory = corrupt_directory / f"{number:02d}"  # a folder each: truncated.nii and truncated.mgz would clash
        directory.mkdir()
        path = writers[name].write(directory)
        assert path.name == name, (path, name)
        corrupt.append(path)
    return Dataset(root, sorted(good), sorted(corrupt))


def write_uniform(root, count: int, suffix: str, shape=(32, 32, 16)) -> list[Path]:
    """`count` int16 images of `shape` with a scaling and an oblique affine: `.nii.gz` (NIfTI-1) or `.mgz`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    image_class = nib.MGHImage if suffix in (".mgz", ".mgh") else nib.Nifti1Image
    paths = []
    for number in range(count):
        values = corpus.integer_values(shape, "int16", number)
        image = image_class(values, corpus.oblique_affine(number, far=150.0))
        path = root / f"image-{number:04d}{suffix}"
        nib.save(image, path)
        paths.append(path)
    return paths
