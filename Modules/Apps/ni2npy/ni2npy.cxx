/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// ni2npy: any image ITK or NiBridge reads -> a NumPy .npy file in nibabel's voxel order.
// Exit status: 0 success, 2 usage error, 1 any other failure (one line on stderr).

#include "ni2npyConversion.h"

#include "itkMacro.h"
#include "itkNiBridgeErrorText.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

#ifndef NIBRIDGE_VERSION
#  define NIBRIDGE_VERSION "unknown"
#endif

namespace
{
constexpr int UsageError = 2;

constexpr int Failure = 1;

int
Run(int argc, char ** argv)
{
  ni2npy::ConversionOptions options;
  CLI::App                  app{ "Convert an image (NIfTI, Analyze, MGH/MGZ, MINC, PAR/REC, NRRD, MetaImage, .npy and "
                                 "every other format nibabel or ITK reads) to a NumPy .npy file.\n"
                                 "The array is in nibabel's voxel order: np.load(OUTPUT) equals nibabel.load(INPUT).get_fdata() "
                                 "for NIfTI files; components are a trailing axis.",
                "ni2npy" };
  app.set_version_flag("--version", std::string("ni2npy (NiBridge) ") + NIBRIDGE_VERSION);
  // A missing input is a usage error (exit status 2); one that exists but is no readable regular file (a directory,
  // a FIFO) is the read guard's error (exit status 1), as for any other bad input.
  app.add_option("INPUT", options.input, "image file to read")->required()->check(CLI::ExistingPath);
  app.add_option("OUTPUT", options.output, "the .npy file to write")->required();
  const std::vector<std::string> dtypes = ni2npy::SupportedDTypeNames();
  std::string                    dtypeList;
  for (const std::string & name : dtypes)
  {
    dtypeList += (dtypeList.empty() ? "" : ", ") + name;
  }
  app
    .add_option("--dtype",
                options.dtype,
                std::string("element type of the output (default float64, as nibabel's get_fdata; keep: nibabel's "
                            "numpy.asarray(img.dataobj) type, the stored one, float64 for scaled files): ") +
                  dtypeList)
    ->check(CLI::IsMember(dtypes));
  app.add_option("--affine",
                 options.affineOutput,
                 "also write the 4x4 voxel-to-RAS+ affine (nibabel's img.affine) as a float64 .npy");
  app.add_flag("--allow-lossy",
               options.allowLossy,
               "allow a --dtype that changes values (floats round to nearest and saturate, NaN becomes 0)");
  app.add_flag("-f,--force", options.force, "overwrite existing outputs");
  app.add_flag("-v,--verbose", options.verbose, "say which reader decoded the input and how it was converted");

  try
  {
    app.parse(argc, argv);
  }
  catch (const CLI::ParseError & error)
  {
    if (error.get_exit_code() == 0)
    {
      return app.exit(error); // --help, --version
    }
    std::cerr << "ni2npy: usage error: " << itk::nibridge::OneLineReason(error.what()) << " (see ni2npy --help)\n";
    return UsageError;
  }
  if (options.output == options.input || (!options.affineOutput.empty() && options.affineOutput == options.input))
  {
    std::cerr << "ni2npy: usage error: an output would overwrite the input \"" << options.input << "\"\n";
    return UsageError;
  }
  if (options.affineOutput == options.output)
  {
    std::cerr << "ni2npy: usage error: --affine and OUTPUT are the same file\n";
    return UsageError;
  }

  try
  {
    ni2npy::Convert(options);
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "ni2npy: error: "
              << itk::nibridge::NamingTheFile(options.input,
                                              itk::nibridge::OneLineReason(error.GetDescription(), options.verbose))
              << '\n';
    return Failure;
  }
  catch (const std::exception & error)
  {
    // ni2npy's own errors name their file, the output's among them ("\"<file>\": <reason>"); others are the input's.
    const std::string reason = itk::nibridge::OneLineReason(error.what(), options.verbose);
    std::cerr << "ni2npy: error: "
              << (reason.rfind('"', 0) == 0 ? reason : itk::nibridge::NamingTheFile(options.input, reason)) << '\n';
    return Failure;
  }
  return 0;
}
} // namespace

int
main(int argc, char ** argv)
{
  return Run(argc, argv);
}
