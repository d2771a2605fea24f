/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef ni2npyBatch_h
#define ni2npyBatch_h

#include "ni2npyConversion.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace ni2npy
{
/** What a batch is asked to do (the command line with -o, parsed). Documentation/DatasetConversion.md is the
 * contract. */
struct BatchOptions
{
  std::vector<std::string> inputs;   // files, folders, glob patterns
  std::string              listFile; // one input per line ("INPUT<TAB>OUTPUT" too); "-": standard input
  std::string              outputDirectory;
  std::string              root;     // empty: the deepest folder that holds every input
  std::string              manifest; // empty: <outputDirectory>/ni2npy-manifest.jsonl
  unsigned int             jobs = 0; // 0: the cores this process may run on
  bool                     affines = false;
  bool                     skipExisting = false;
  bool                     dryRun = false;
  bool                     quiet = false;
  bool                     exitWithParent = false;
  ConversionOptions        perFile; // dtype, allowLossy, force, verbose; input and output are the batch's
};

/** A batch that cannot start: bad inputs or options (exit status 2). */
class UsageError : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

/** Runs a batch and returns the exit status: 0 every file converted or up to date, 1 some failed. Throws UsageError
 * before anything is converted. */
int
RunBatch(const BatchOptions & options);

} // namespace ni2npy

#endif
