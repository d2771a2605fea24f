/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#include "nibridgePixelContainer.h"

#include <cstdint>
#include <sys/mman.h>
#include <thread>

namespace nibridge
{
void
AdviseHugePages(void * memory, std::size_t bytes)
{
  constexpr std::uintptr_t HugePage = std::uintptr_t{ 1 } << 21;
  if (bytes < 2 * HugePage)
  {
    return;
  }
  const auto begin = (reinterpret_cast<std::uintptr_t>(memory) + HugePage - 1) & ~(HugePage - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(memory) + bytes) & ~(HugePage - 1);
  if (end > begin)
  {
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
  }
}

std::atomic<long> &
LivePixelContainerCount()
{
  static std::atomic<long> count{ 0 };
  return count;
}

void
init_pixel_containers(py::module_ & module)
{
  module.def(
    "_reallocate_releasing_in_native_thread",
    [](Image & image) {
      itk::LightObject::Pointer previous = image.Operations().PixelContainer(image.ItkImage());
      image.Operations().Allocate(image.ItkImage(), false);
      py::gil_scoped_release release;
      std::thread([container = std::move(previous)]() mutable { container = nullptr; }).join();
    },
    py::arg("image"),
    "For tests: re-allocates the image, and drops its previous pixel buffer in a thread Python never saw.");
  module.def(
    "_live_pixel_container_count",
    []() { return LivePixelContainerCount().load(); },
    "For tests: how many NiBridge pixel containers are alive.");
}

} // namespace nibridge
