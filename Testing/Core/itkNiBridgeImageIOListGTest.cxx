/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "itkNiBridgeImageIOList.h"

#include "itkImageIOFactory.h"
#include "itkNiBridgeGuardImageIO.h"
#include "itkNiBridgeMGHImageIO.h"
#include "itkNiBridgeNiftiImageIO.h"
#include "itkNumPyImageIOFactory.h"
#include "itkObjectFactoryBase.h"
#include "nibridgeGTestSupport.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace
{
std::vector<std::string>
EntryNames()
{
  std::vector<std::string> names;
  for (const auto & entry : itk::nibridge::ImageIOList::GetEntries())
  {
    names.emplace_back(entry.className);
  }
  return names;
}

constexpr nibridge_test::OutputPathWithPrefix OutputPath{ "imageio-list-" };
} // namespace

TEST(ImageIOList, PutsTheNativeReadersFirstThenNiBabelThenITKsOwnInAHelperProcess)
{
  EXPECT_EQ(EntryNames(),
            (std::vector<std::string>{ "NiBridgeGuardImageIO",
                                       "NiBridgeNiftiImageIO",
                                       "NiBridgeMGHImageIO",
                                       "NumPyImageIO",
                                       "NiBabelImageIO",
                                       "NiBridgeIsolatedImageIO",
                                       "" }));
  EXPECT_EQ(itk::nibridge::ImageIOList::GetEntries().back().provider, itk::nibridge::ImageIOProvider::ITK);
}

TEST(ImageIOList, AgreesWithTheFactoryNamesOfItkModuleCmake)
{
  // ITK's own build registers the factories itk-module.cmake names: the same ones, in the same order.
  std::ifstream      file(NIBRIDGE_SOURCE_DIR "/itk-module.cmake");
  std::ostringstream text;
  text << file.rdbuf();
  const std::string        contents = text.str();
  std::vector<std::string> factories;
  const std::regex         factory("ImageIO::([A-Za-z0-9]+)");
  for (auto match = std::sregex_iterator(contents.begin(), contents.end(), factory); match != std::sregex_iterator();
       ++match)
  {
    factories.push_back((*match)[1].str() + "ImageIO");
  }
  std::vector<std::string> entries = EntryNames();
  entries.pop_back(); // ITK's own
  EXPECT_EQ(factories, entries);
}

TEST(ImageIOList, ItkModuleCmakeDependsOnTheITKImageIOModulesOfTheList)
{
  // Built in ITK's tree, NiBridge gets ITK's ImageIO modules from itk-module.cmake's PRIVATE_DEPENDS; standalone, from
  // NiBridge_ITK_IO_MODULES of the root CMakeLists.txt: the same modules.
  std::ifstream      file(NIBRIDGE_SOURCE_DIR "/itk-module.cmake");
  std::ostringstream text;
  text << file.rdbuf();
  const std::string contents = text.str();
  const auto        begin = contents.find("PRIVATE_DEPENDS");
  const auto        end = contents.find("TEST_DEPENDS");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::vector<std::string> declared;
  const std::string        block = contents.substr(begin, end - begin);
  const std::regex         module("\\bITKIO[A-Za-z0-9]+\\b");
  for (auto match = std::sregex_iterator(block.begin(), block.end(), module); match != std::sregex_iterator(); ++match)
  {
    declared.push_back(match->str());
  }
  std::vector<std::string> standalone;
  std::istringstream       modules(NIBRIDGE_ITK_IO_MODULES);
  for (std::string name; modules >> name;)
  {
    standalone.push_back(name);
  }
  EXPECT_EQ(declared, standalone);
}

TEST(ImageIOList, ClaimsITKForTheProgramThatUsesIt)
{
  // This test program uses the list: the plugin, were ITK to load it here, would register nothing.
  itk::nibridge::ImageIOList::CreateAll();
  EXPECT_TRUE(itk::nibridge::ImageIOList::ClaimITK(itk::nibridge::ImageIORegistration::Program));
  EXPECT_FALSE(itk::nibridge::ImageIOList::ClaimITK(itk::nibridge::ImageIORegistration::Plugin));
  EXPECT_TRUE(itk::nibridge::ImageIOList::ClaimITK(itk::nibridge::ImageIORegistration::Program));
}

TEST(ImageIOList, CreatesTheFirstImageIOThatTakesTheFile)
{
  const std::string npy = OutputPath("takes.npy");
  std::ofstream(npy, std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8);
  ASSERT_TRUE(itk::nibridge::ImageIOList::CreateImageIO(npy, itk::IOFileModeEnum::ReadMode));
  EXPECT_STREQ(itk::nibridge::ImageIOList::CreateImageIO(npy, itk::IOFileModeEnum::ReadMode)->GetNameOfClass(),
               "NumPyImageIO");
  EXPECT_STREQ(itk::nibridge::ImageIOList::CreateImageIO(OutputPath("new.nii.gz"), itk::IOFileModeEnum::WriteMode)
                 ->GetNameOfClass(),
               "NiBridgeNiftiImageIO");
}

TEST(ImageIOList, RefusesAnInputThatIsNoReadableRegularFileBeforeAnyReaderOpensIt)
{
  const auto reasonFor = [](const std::string & fileName) -> std::string {
    try
    {
      itk::nibridge::ImageIOList::CreateImageIO(fileName, itk::IOFileModeEnum::ReadMode);
    }
    catch (const itk::ExceptionObject & error)
    {
      return error.GetDescription();
    }
    return "no error";
  };
  const std::string missing = OutputPath("missing.mgz");
  EXPECT_NE(reasonFor(missing).find('"' + missing + "\": no such file"), std::string::npos) << reasonFor(missing);
  const std::string directory = OutputPath("directory.nii");
  std::filesystem::create_directories(directory);
  EXPECT_NE(reasonFor(directory).find("a directory, not a file"), std::string::npos) << reasonFor(directory);
  const std::string fifo = OutputPath("fifo.nrrd");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NE(reasonFor(fifo).find("a FIFO (named pipe), not a regular file"), std::string::npos) << reasonFor(fifo);
  const std::string device = OutputPath("zero.nii");
  std::filesystem::remove(device);
  std::filesystem::create_symlink("/dev/zero", device);
  EXPECT_NE(reasonFor(device).find("a character device, not a regular file"), std::string::npos) << reasonFor(device);
  // Writing is another matter: a new file's name is no file yet.
  EXPECT_TRUE(itk::nibridge::ImageIOList::CreateImageIO(OutputPath("new.npy"), itk::IOFileModeEnum::WriteMode));
}

TEST(ImageIOList, CallsALazyProviderOnlyWhenNoEarlierEntryTakesTheFile)
{
  int calls = 0;
  itk::nibridge::ImageIOList::SetLazyProvider(itk::nibridge::ImageIOProvider::PythonBridge, [&calls] { ++calls; });
  const std::string npy = OutputPath("lazy.npy");
  std::ofstream(npy, std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8);
  EXPECT_TRUE(itk::nibridge::ImageIOList::CreateImageIO(npy, itk::IOFileModeEnum::ReadMode));
  EXPECT_EQ(calls, 0) << "a native reader took the file";
  const std::string unknown = OutputPath("unknown.xyz");
  std::ofstream(unknown) << "no image format\n";
  EXPECT_FALSE(itk::nibridge::ImageIOList::CreateImageIO(unknown, itk::IOFileModeEnum::ReadMode));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(itk::nibridge::ImageIOList::CreateImageIO(unknown, itk::IOFileModeEnum::ReadMode));
  EXPECT_EQ(calls, 1) << "called once";
}

TEST(ImageIOList, RegistersNiBridgesFactoriesInFrontInTheListsOrderOnce)
{
  itk::nibridge::RegisterImageIOFactories();
  itk::nibridge::RegisterImageIOFactories();
  std::vector<std::string> registered;
  for (itk::ObjectFactoryBase * factory : itk::ObjectFactoryBase::GetRegisteredFactories())
  {
    registered.emplace_back(factory->GetNameOfClass());
  }
  ASSERT_GE(registered.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(registered.begin(), registered.begin() + 4),
            (std::vector<std::string>{ "NiBridgeGuardImageIOFactory",
                                       "NiBridgeNiftiImageIOFactory",
                                       "NiBridgeMGHImageIOFactory",
                                       "NumPyImageIOFactory" }));
  EXPECT_EQ(std::count(registered.begin(), registered.end(), "NumPyImageIOFactory"), 1);
  const std::string npy = OutputPath("factory.npy");
  std::ofstream(npy, std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8);
  itk::ImageIOBase::Pointer imageIO = itk::ImageIOFactory::CreateImageIO(npy.c_str(), itk::IOFileModeEnum::ReadMode);
  ASSERT_TRUE(imageIO);
  EXPECT_STREQ(imageIO->GetNameOfClass(), "NumPyImageIO");
}

TEST(ImageIOList, TheGuardAnswersFirstForAFifoSoThatNoReaderOpensIt)
{
  itk::nibridge::RegisterImageIOFactories();
  const std::string fifo = OutputPath("guarded.nrrd");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // ITK's NrrdImageIO would open it to look at its first bytes, and block for ever.
  itk::ImageIOBase::Pointer imageIO = itk::ImageIOFactory::CreateImageIO(fifo.c_str(), itk::IOFileModeEnum::ReadMode);
  ASSERT_TRUE(imageIO);
  EXPECT_STREQ(imageIO->GetNameOfClass(), "NiBridgeGuardImageIO");
  imageIO->SetFileName(fifo);
  nibridge_test::ExpectErrorNaming(
    [&] { imageIO->ReadImageInformation(); }, fifo, "a FIFO (named pipe), not a regular file");
  const std::string regular = OutputPath("regular.npy");
  std::ofstream(regular, std::ios::binary) << std::string("\x93NUMPY\x01\x00", 8);
  EXPECT_FALSE(itk::NiBridgeGuardImageIO::New()->CanReadFile(regular.c_str()));
  EXPECT_FALSE(itk::NiBridgeGuardImageIO::New()->CanReadFile(OutputPath("missing.nrrd").c_str()));
}

TEST(ImageIOList, PluginRegistrationLeavesNIfTIToITKUnlessTheUserOptsIn)
{
  unsetenv("NIBRIDGE_PLUGIN_NIFTI");
  EXPECT_FALSE(itk::nibridge::ImageIOList::PluginTakesNIfTI());
  setenv("NIBRIDGE_PLUGIN_NIFTI", "nibabel", 1);
  EXPECT_TRUE(itk::nibridge::ImageIOList::PluginTakesNIfTI());
  setenv("NIBRIDGE_PLUGIN_NIFTI", "itk", 1);
  EXPECT_FALSE(itk::nibridge::ImageIOList::PluginTakesNIfTI());
  unsetenv("NIBRIDGE_PLUGIN_NIFTI");
  const auto & entries = itk::nibridge::ImageIOList::GetEntries();
  const auto   nifti = std::find_if(entries.begin(), entries.end(), [](const auto & entry) {
    return std::string(entry.className) == "NiBridgeNiftiImageIO";
  });
  ASSERT_NE(nifti, entries.end());
  EXPECT_FALSE(nifti->pluginDefault);
}
