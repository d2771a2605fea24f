/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-bench-python-function [EDGE [REPEAT]]: the cost of an identity PythonFunctionImageFilter step on an
// EDGE^3 float32 volume (256 by default) against one memcpy of the volume and a native ITK copy, measured in this
// one process, as ratios; and the same step streamed in 32 chunks, as a cost per chunk. Prints the figures and the
// verdict against DESIGN.md's target (overhead within 1.2x of one memcpy); exits 0 whenever it ran.
#include "itkPythonFunctionImageFilter.h"

#include "itkNiBridgePythonInterpreter.h"

#include "itkImage.h"
#include "itkImageDuplicator.h"
#include "itkStreamingImageFilter.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <sys/mman.h>

namespace
{
using ImageType = itk::Image<float, 3>;

/** The median seconds of `repeat` runs of `action`, after one warm-up run. */
double
Median(int repeat, const std::function<void()> & action)
{
  action();
  std::vector<double> seconds;
  for (int run = 0; run < repeat; ++run)
  {
    const auto start = std::chrono::steady_clock::now();
    action();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

void
Row(const char * name, double seconds, double memcpySeconds)
{
  std::printf("  %-56s %9.2f ms %7.2fx memcpy\n", name, seconds * 1e3, seconds / memcpySeconds);
}
} // namespace

int
main(int argc, char ** argv)
{
  const itk::SizeValueType edge = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const int                repeat = argc > 2 ? std::atoi(argv[2]) : 15;
  constexpr unsigned int   chunks = 32;
  try
  {
    auto image = ImageType::New();
    image->SetRegions(ImageType::SizeType{ { edge, edge, edge } });
    image->Allocate();
    for (itk::SizeValueType index = 0; index < image->GetPixelContainer()->Size(); ++index)
    {
      image->GetBufferPointer()[index] = static_cast<float>(index % 1000);
    }
    const std::size_t bytes = image->GetPixelContainer()->Size() * sizeof(float);
    itk::nibridge::PythonInterpreter::Initialize();
    itk::nibridge::PythonInterpreter::ImportModule("numpy");

    // Anchors: memcpy into a buffer already touched (bandwidth alone), into a new one (what any copy that makes
    // an image pays: page faults too), and ITK's own copy of an image.
    std::vector<float> warm(image->GetPixelContainer()->Size(), 1.0f);
    const double memcpyWarm = Median(repeat, [&]() { std::memcpy(warm.data(), image->GetBufferPointer(), bytes); });
    const double memcpyNew = Median(repeat, [&]() {
      std::unique_ptr<float[]> fresh(new float[image->GetPixelContainer()->Size()]);
      std::memcpy(fresh.get(), image->GetBufferPointer(), bytes);
      if (fresh[1] != image->GetBufferPointer()[1])
      {
        std::abort();
      }
    });
    // As NumPy allocates a large array (what the step's output is): 2 MiB aligned, transparent huge pages advised.
    const double memcpyNewHuge = Median(repeat, [&]() {
      constexpr std::size_t huge = std::size_t{ 1 } << 21;
      void *                fresh = std::aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
      madvise(fresh, bytes, MADV_HUGEPAGE);
      std::memcpy(fresh, image->GetBufferPointer(), bytes);
      if (static_cast<float *>(fresh)[1] != image->GetBufferPointer()[1])
      {
        std::abort();
      }
      std::free(fresh);
    });
    const double itkCopy = Median(repeat, [&]() {
      auto duplicator = itk::ImageDuplicator<ImageType>::New();
      duplicator->SetInputImage(image);
      duplicator->Update();
    });

    const auto step = [&](const char * source, unsigned int divisions) {
      return Median(repeat, [&]() {
        auto filter = itk::PythonFunctionImageFilter<ImageType>::New();
        filter->SetInput(image);
        filter->SetFunctionSource(source);
        auto streamer = itk::StreamingImageFilter<ImageType, ImageType>::New();
        streamer->SetInput(filter->GetOutput());
        streamer->SetNumberOfStreamDivisions(divisions);
        if (divisions == 1)
        {
          filter->Update();
        }
        else
        {
          streamer->Update();
        }
      });
    };
    const char * identity = "def function(a):\n    return a\n";
    const char * copying = "def function(a):\n    return a.copy()\n";
    const double identityStep = step(identity, 1);
    const double copyingStep = step(copying, 1);
    const double streamedStep = step(identity, chunks);

    std::printf("PythonFunctionImageFilter, %lu^3 float32 (%.0f MiB), median of %d runs, one process\n",
                static_cast<unsigned long>(edge),
                bytes / 1048576.0,
                repeat);
    Row("memcpy, into a touched buffer", memcpyWarm, memcpyWarm);
    Row("memcpy, into a new buffer", memcpyNew, memcpyWarm);
    Row("memcpy, into a new buffer with huge pages (NumPy's way)", memcpyNewHuge, memcpyWarm);
    Row("ITK's copy (ImageDuplicator)", itkCopy, memcpyWarm);
    Row("identity step `return a` (its one copy: read-only)", identityStep, memcpyWarm);
    Row("identity step `return a.copy()` (NumPy copies)", copyingStep, memcpyWarm);
    Row("identity step `return a`, streamed in 32 chunks", streamedStep, memcpyWarm);
    std::printf("identity step / ITK's copy: %.2fx\n", identityStep / itkCopy);
    std::printf("streamed, per chunk (%u chunks): %.3f ms over the unstreamed step; %.3f ms without the cost of "
                "StreamingImageFilter's own copy of the chunks into its output (one ITK copy)\n",
                chunks,
                (streamedStep - identityStep) * 1e3 / chunks,
                (streamedStep - identityStep - itkCopy) * 1e3 / chunks);
    const double ratio = identityStep / memcpyNewHuge;
    std::printf("target: the step within 1.2x of one memcpy into a new buffer (huge pages, as the step's output has): "
                "%.2fx -> %s\n",
                ratio,
                ratio <= 1.2 ? "met" : "MISSED");
  }
  catch (const itk::ExceptionObject & error)
  {
    std::fprintf(stderr, "nibridge-bench-python-function: %s\n", error.GetDescription());
    return 1;
  }
  return 0;
}
