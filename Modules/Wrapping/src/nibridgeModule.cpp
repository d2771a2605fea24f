/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

PYBIND11_MODULE(_core, module)
{
  module.doc() = "NiBridge's compiled core: nibridge.Image, the NumPy conversions and imread/imwrite.";
  nibridge::init_image(module);
  nibridge::init_pixel_containers(module);
  nibridge::init_metadata(module);
  nibridge::init_geometry(module);
  nibridge::init_conversions(module);
  nibridge::init_io(module);
  nibridge::init_protocols(module);
}
