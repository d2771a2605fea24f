/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// ni2npy: any image ITK or NiBridge reads -> a NumPy .npy file in nibabel's voxel order.
// Exit status: 0 success, 1 failure (one line on stderr; batch: some files failed), 2 usage error, 3 the output
// exists. Documentation/ni2npy.md and Documentation/DatasetConversion.md are the contract.

#include "ni2npyBatch.h"
#include "ni2npyConversion.h"

#include "itkMacro.h"
#include "itkNiBridgeErrorText.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <vector>

#include <sys/stat.h>

#ifndef NIBRIDGE_VERSION
#  define NIBRIDGE_VERSION "unknown"
#endif

namespace
{
constexpr int UsageErrorStatus = 2;

constexpr int Failure = 1;

constexpr int OutputExistsStatus = 3;

int
Usage(const std::string & reason)
{
  std::cerr << "ni2npy: usage error: " << reason << " (see ni2npy --help)\n";
  return UsageErrorStatus;
}

int
Run(int argc, char ** argv)
{
  ni2npy::BatchOptions        batch;
  ni2npy::ConversionOptions & options = batch.perFile;
  std::vector<std::string>    paths;
  bool                        skipExisting = false;
  CLI::App                    app{
    "Convert an image (NIfTI, Analyze, MGH/MGZ, MINC, PAR/REC, NRRD, MetaImage, .npy and every other format nibabel or "
                       "ITK reads) to a NumPy .npy file, or a whole dataset to a folder of them.\n"
                       "  ni2npy [options] INPUT OUTPUT.npy      one file (OUTPUT \"-\": standard output)\n"
                       "  ni2npy -o OUT_DIR [options] INPUT...   files, folders (searched recursively), patterns; --list FILE too\n"
                       "The array is in nibabel's voxel order: np.load(OUTPUT) equals nibabel.load(INPUT).get_fdata() for NIfTI files; "
                       "components are a trailing axis.\n"
                       "Exit status: 0 done (batch: every file converted or up to date), 1 failed (batch: some files failed), 2 usage "
                       "error, 3 the output exists (one file, without --force or --skip-existing).",
    "ni2npy"
  };
  app.set_version_flag("--version", std::string("ni2npy (NiBridge) ") + NIBRIDGE_VERSION);
  app.add_option("PATHS", paths, "INPUT OUTPUT, or with -o the inputs");
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
                 "one file: also write the 4x4 voxel-to-RAS+ affine (nibabel's img.affine) as a float64 .npy");
  app.add_flag("--allow-lossy",
               options.allowLossy,
               "allow a --dtype that changes values (floats round to nearest and saturate, NaN becomes 0)");
  app.add_flag("-f,--force", options.force, "overwrite existing outputs (batch: convert everything again)");
  app.add_flag("--skip-existing", skipExisting, "leave an existing output as it is and count it as done");
  app.add_flag("-v,--verbose", options.verbose, "say which reader decoded each input and how it was converted");
  app.add_option("-o,--output-dir", batch.outputDirectory, "batch: the folder the outputs go to, mirroring the inputs");
  app.add_option("--list", batch.listFile, "batch: a file of inputs, one per line (or INPUT<TAB>OUTPUT); - for stdin");
  app.add_option("-j,--jobs", batch.jobs, "batch: worker processes (default: the cores this process may use)");
  app.add_option("--root",
                 batch.root,
                 "batch: the folder the output tree mirrors (default: the deepest one holding "
                 "every input)");
  app.add_option("--manifest", batch.manifest, "batch: the manifest (default OUT_DIR/ni2npy-manifest.jsonl)");
  app.add_flag("--affines", batch.affines, "batch: also write NAME.affine.npy beside each NAME.npy");
  app.add_flag("-n,--dry-run", batch.dryRun, "batch: print what would be done (JSON lines), convert nothing");
  app.add_flag("-q,--quiet", batch.quiet, "batch: print failures only");
  app.add_flag("--exit-with-parent", batch.exitWithParent, "batch: die with the process that started ni2npy")
    ->group("");

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
    return Usage(itk::nibridge::OneLineReason(error.what()));
  }

  if (!batch.outputDirectory.empty())
  {
    if (!options.affineOutput.empty())
    {
      return Usage("--affine PATH is for one file; a batch writes affines with --affines");
    }
    batch.inputs = paths;
    batch.skipExisting = skipExisting;
    try
    {
      return ni2npy::RunBatch(batch);
    }
    catch (const ni2npy::UsageError & error)
    {
      return Usage(error.what());
    }
    catch (const std::exception & error)
    {
      std::cerr << "ni2npy: error: " << itk::nibridge::OneLineReason(error.what()) << '\n';
      return Failure;
    }
  }
  if (!batch.listFile.empty() || batch.affines || batch.dryRun || batch.jobs || !batch.root.empty() ||
      !batch.manifest.empty())
  {
    return Usage("--list, --affines, --dry-run, -j, --root and --manifest need -o OUT_DIR");
  }
  if (paths.size() != 2)
  {
    return Usage(paths.size() < 2 ? "give INPUT and OUTPUT (or -o OUT_DIR and the inputs)"
                                  : "one file takes INPUT and OUTPUT; for many inputs give -o OUT_DIR");
  }
  options.input = paths[0];
  options.output = paths[1];
  struct stat status;
  if (stat(options.input.c_str(), &status) != 0)
  {
    // A missing input is a usage error; one that exists but is no readable regular file (a directory, a FIFO) is the
    // read guard's error (exit status 1), as for any other bad input.
    return Usage("\"" + options.input + "\": no such file");
  }
  if (options.output == options.input || (!options.affineOutput.empty() && options.affineOutput == options.input))
  {
    return Usage("an output would overwrite the input \"" + options.input + "\"");
  }
  if (options.affineOutput == options.output)
  {
    return Usage("--affine and OUTPUT are the same file");
  }
  if (skipExisting && options.output != "-" && stat(options.output.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
      !options.force)
  {
    return 0; // --skip-existing: the output is there, as asked
  }

  std::signal(SIGPIPE, SIG_IGN); // a closed standard output is an error of the write, not a silent death
  try
  {
    ni2npy::Convert(options);
  }
  catch (const ni2npy::OutputExists & error)
  {
    std::cerr << "ni2npy: error: " << error.what() << '\n';
    return OutputExistsStatus;
  }
  catch (...)
  {
    std::cerr << "ni2npy: error: " << ni2npy::FailureLine(std::current_exception(), options.input, options.verbose)
              << '\n';
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
