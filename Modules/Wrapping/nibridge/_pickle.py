"""Pickling of nibridge.Image: protocol 5 hands the pixel buffer over as a PickleBuffer, without a copy."""

import pickle

import numpy as np

from ._core import Image, _keep_affine, _kept_affine, array_view_from_image, image_from_array, image_view_from_array


def reduce_image(image: Image, protocol: int):
    """Image.__reduce_ex__: the pixels (a PickleBuffer over the buffer for protocol 5 and above, bytes
    before) with dtype, shape, vector flag, pixel type, geometry and writeability."""
    array = array_view_from_image(image)
    data = pickle.PickleBuffer(array) if protocol >= 5 else array.tobytes()  # noqa: S301 -- not unpickling
    attributes = {
        "is_vector": image.is_vector,
        "pixel_type": image.pixel_type,
        "spacing": image.spacing.tolist(),
        "origin": image.origin.tolist(),
        "direction": image.direction.tolist(),
        "writeable": image.writeable,
    }
    kept = _kept_affine(image)
    if kept is not None:
        attributes["affine"] = kept.tolist()
    return (_reconstruct, (data, array.dtype.str, array.shape, attributes))


def _reconstruct(data, dtype, shape, attributes):
    """An image over the unpickled buffer when it is writable (out-of-band buffers, in-band bytearrays);
    a copy of read-only ones (bytes), which a writable image must not alias."""
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    convert = image_view_from_array if array.flags.writeable else image_from_array
    image = convert(
        array,
        is_vector=attributes["is_vector"],
        spacing=attributes["spacing"],
        origin=attributes["origin"],
        direction=attributes["direction"],
    )
    image.pixel_type = attributes.get("pixel_type", image.pixel_type)
    if "affine" in attributes:
        _keep_affine(image, attributes["affine"])
    image.writeable = attributes["writeable"]
    return image
