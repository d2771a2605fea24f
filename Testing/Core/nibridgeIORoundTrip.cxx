/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/

// nibridge-io-roundtrip [--trailing-axis-is-components] INPUT OUTPUT
//
// A test-only tool: reads INPUT with the ImageIO ITK's factory picks for it (NumPyImageIO for .npy), at the ImageIO
// level with runtime types only, and writes the same buffer, information and metadata to OUTPUT with the ImageIO
// picked for OUTPUT. Prints nothing on success; on failure prints one line to stderr and exits with 1.

#include "itkImageIOFactory.h"
#include "itkNumPyImageIO.h"
#include "itkNumPyImageIOFactory.h"
#ifdef ITK_IO_FACTORY_REGISTER_MANAGER
// Registers every ImageIO of the ITK modules the build links (NRRD, NIfTI, ...), as itkImageFileReader.h would.
#  include "itkImageIOFactoryRegisterManager.h"
#endif

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
constexpr const char * ToolName = "nibridge-io-roundtrip";

struct Arguments
{
  bool        trailingAxisIsComponents = false;
  std::string input;
  std::string output;
};

Arguments
ParseArguments(int argc, char * argv[])
{
  Arguments                arguments;
  std::vector<std::string> fileNames;
  for (int index = 1; index < argc; ++index)
  {
    const std::string argument = argv[index];
    if (argument == "--trailing-axis-is-components")
    {
      arguments.trailingAxisIsComponents = true;
    }
    else if (argument.size() > 1 && argument[0] == '-')
    {
      throw std::runtime_error("unknown option " + argument);
    }
    else
    {
      fileNames.push_back(argument);
    }
  }
  if (fileNames.size() != 2)
  {
    throw std::runtime_error(std::string("usage: ") + ToolName + " [--trailing-axis-is-components] INPUT OUTPUT");
  }
  arguments.input = fileNames[0];
  arguments.output = fileNames[1];
  return arguments;
}

itk::ImageIORegion
WholeImageRegion(const itk::ImageIOBase & imageIO)
{
  itk::ImageIORegion region(imageIO.GetNumberOfDimensions());
  for (unsigned int axis = 0; axis < imageIO.GetNumberOfDimensions(); ++axis)
  {
    region.SetIndex(axis, 0);
    region.SetSize(axis, imageIO.GetDimensions(axis));
  }
  return region;
}

void
RoundTrip(const Arguments & arguments)
{
  itk::NumPyImageIOFactory::RegisterOneFactory();

  itk::ImageIOBase::Pointer reader =
    itk::ImageIOFactory::CreateImageIO(arguments.input.c_str(), itk::IOFileModeEnum::ReadMode);
  if (reader.IsNull())
  {
    throw std::runtime_error('"' + arguments.input + "\": no ImageIO can read this file");
  }
  if (auto * numPyReader = dynamic_cast<itk::NumPyImageIO *>(reader.GetPointer()))
  {
    numPyReader->SetTrailingAxisIsComponents(arguments.trailingAxisIsComponents);
  }
  reader->SetFileName(arguments.input);
  reader->ReadImageInformation();
  const itk::ImageIORegion region = WholeImageRegion(*reader);
  reader->SetIORegion(region);
  std::vector<char> buffer(static_cast<std::size_t>(reader->GetImageSizeInBytes()));
  reader->Read(buffer.data());

  itk::ImageIOBase::Pointer writer =
    itk::ImageIOFactory::CreateImageIO(arguments.output.c_str(), itk::IOFileModeEnum::WriteMode);
  if (writer.IsNull())
  {
    throw std::runtime_error('"' + arguments.output + "\": no ImageIO can write this file");
  }
  const unsigned int numberOfDimensions = reader->GetNumberOfDimensions();
  writer->SetNumberOfDimensions(numberOfDimensions);
  for (unsigned int axis = 0; axis < numberOfDimensions; ++axis)
  {
    writer->SetDimensions(axis, reader->GetDimensions(axis));
    writer->SetSpacing(axis, reader->GetSpacing(axis));
    writer->SetOrigin(axis, reader->GetOrigin(axis));
    writer->SetDirection(axis, reader->GetDirection(axis));
  }
  writer->SetComponentType(reader->GetComponentType());
  writer->SetPixelType(reader->GetPixelType());
  writer->SetNumberOfComponents(reader->GetNumberOfComponents());
  writer->SetMetaDataDictionary(reader->GetMetaDataDictionary());
  writer->SetFileName(arguments.output);
  writer->SetIORegion(region);
  writer->WriteImageInformation();
  writer->Write(buffer.data());
}

/** One line, whatever the message holds. */
std::string
OneLine(std::string message)
{
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::replace(message.begin(), message.end(), '\r', ' ');
  while (!message.empty() && message.back() == ' ')
  {
    message.pop_back();
  }
  return message;
}
} // namespace

int
main(int argc, char * argv[])
{
  std::string message;
  try
  {
    RoundTrip(ParseArguments(argc, argv));
    return EXIT_SUCCESS;
  }
  catch (const itk::ExceptionObject & error)
  {
    message = error.GetDescription();
  }
  catch (const std::exception & error)
  {
    message = error.what();
  }
  std::cerr << ToolName << ": error: " << OneLine(message) << std::endl;
  return EXIT_FAILURE;
}
