/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgeImage.h"

#include "itkMetaDataObject.h"

#include <pybind11/stl.h>

#include <map>
#include <string>

namespace nibridge
{
namespace
{
/** Puts the entry's value into `result` if it is a MetaDataObject of one of the types T; false if not. */
template<typename... T>
bool
AddMetaDataValue(py::dict & result, const std::string & key, const itk::MetaDataObjectBase * entry)
{
  const auto add = [&](const auto * typed) {
    if (typed != nullptr)
    {
      result[py::str(key)] = typed->GetMetaDataObjectValue();
    }
    return typed != nullptr;
  };
  return (add(dynamic_cast<const itk::MetaDataObject<T> *>(entry)) || ...);
}
} // namespace

py::dict
MetaData(const Image & image)
{
  py::dict     result;
  const auto & dictionary = image.ItkImage().GetMetaDataDictionary();
  for (const auto & key : dictionary.GetKeys())
  {
    AddMetaDataValue<std::string, double, float, int, unsigned int, long, bool>(result, key, dictionary.Get(key));
  }
  return result;
}

void
init_metadata(py::module_ & module)
{
  module.def(
    "_set_metadata",
    [](Image & image, const std::map<std::string, std::string> & entries) {
      auto & dictionary = image.ItkImage().GetMetaDataDictionary();
      for (const auto & [key, value] : entries)
      {
        itk::EncapsulateMetaData<std::string>(dictionary, key, value);
      }
    },
    py::arg("image"),
    py::arg("entries"),
    "For from_nibabel: puts text entries (nibabel's metadata, as the readers write it) into the image's "
    "MetaDataDictionary.");
}

} // namespace nibridge
