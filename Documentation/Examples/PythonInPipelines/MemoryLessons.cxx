/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// nibridge-memory-lessons
//
// How C++ (ITK's reference-counted images) and Python (NumPy arrays, reference counts, the GIL) share memory, as
// five lessons, each printed with what happens and why, and checked: the exit status is the number of checks that
// failed. The lessons are those NiBridge grew from (an image and an array are one block of memory with two owners;
// it lives as long as either holds it; only a thread holding the GIL may touch Python's counts), told with
// itk::ImageToNumPyArrayFilter and itk::NumPyArrayToImageFilter.

#include "itkCommand.h"
#include "itkImage.h"
#include "itkImageToNumPyArrayFilter.h"
#include "itkNiBridgePythonInterpreter.h"
#include "itkNumPyArrayToImageFilter.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <unistd.h>

namespace
{
using ImageType = itk::Image<float, 3>;
using itk::nibridge::PythonInterpreter;
using itk::nibridge::PythonObject;

int failures = 0;

void
Check(bool condition, const std::string & what)
{
  std::cout << "   " << (condition ? "ok: " : "FAILED: ") << what << '\n';
  failures += condition ? 0 : 1;
}

std::string
Ask(const std::string & expression, const PythonObject & a = {})
{
  return PythonInterpreter::EvaluateObject(expression, { { "a", a } }).Repr();
}

PythonObject
Python(const std::string & expression, const PythonObject & a = {})
{
  return PythonInterpreter::EvaluateObject(
    expression, { { "np", PythonInterpreter::EvaluateObject("__import__('numpy')") }, { "a", a } });
}

ImageType::Pointer
NewImage(itk::SizeValueType edge, float value)
{
  auto image = ImageType::New();
  image->SetRegions(ImageType::SizeType{ { edge, edge, edge } });
  image->Allocate();
  image->FillBuffer(value);
  return image;
}

/** Sets `*freed` when the object is deleted (ITK's DeleteEvent, sent as the last reference goes). */
void
WatchDeletion(itk::Object * object, bool * freed)
{
  object->AddObserver(itk::DeleteEvent(), [freed](const itk::EventObject &) { *freed = true; });
}

PythonObject
ViewOf(const ImageType * image)
{
  auto filter = itk::ImageToNumPyArrayFilter<ImageType>::New();
  filter->SetInput(image);
  filter->Update();
  return filter->GetArray();
}

ImageType::Pointer
ImageOf(const PythonObject & array)
{
  auto filter = itk::NumPyArrayToImageFilter<ImageType>::New();
  filter->SetArray(array);
  filter->Update();
  return filter->GetOutput();
}

std::size_t
ResidentMiB()
{
  std::ifstream statm("/proc/self/statm");
  std::size_t   pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) / (1024 * 1024);
}

void
AViewOutlivesItsImage()
{
  std::cout
    << "\n1. A NumPy view outlives its image.\n"
       "   The view is the image's own pixels (no copy), so it must keep them alive: it holds a reference to\n"
       "   the image's pixel container, not to the image. The image can go; the pixels stay until the view goes.\n";
  auto   image = NewImage(64, 2.5f);
  bool   freed = false;
  auto * container = image->GetPixelContainer();
  WatchDeletion(container, &freed);
  PythonObject view = ViewOf(image);
  image = nullptr;
  std::cout << "   the image is deleted; the view's sum is " << Ask("float(a.sum())", view) << '\n';
  Check(!freed && Ask("float(a.sum())", view) == std::to_string(64 * 64 * 64 * 5 / 2) + ".0",
        "after the image is gone the pixels are alive and unchanged");
  view.Reset();
  Check(freed, "dropping the view (the pixels' last owner) freed them, right then");
}

void
AnImageOutlivesItsArray()
{
  std::cout
    << "\n2. An image outlives its NumPy array.\n"
       "   An image made of an array uses the array's memory (no copy), so its pixel container holds the\n"
       "   array's buffer export: Python may drop every name of the array, the memory stays while the image does.\n";
  PythonObject       array = Python("np.full((32, 32, 32), 7.0, dtype=np.float32)");
  const PythonObject alive = Python("__import__('weakref').ref(a)", array);
  ImageType::Pointer image = ImageOf(array);
  array.Reset();
  Python("__import__('gc').collect()");
  std::cout << "   the array's last name is gone and the garbage collector ran; pixel (1, 2, 3) is "
            << image->GetPixel({ { 1, 2, 3 } }) << '\n';
  Check(Ask("a() is not None", alive) == "True" && image->GetPixel({ { 1, 2, 3 } }) == 7.0f,
        "the image keeps the array alive, and its values");
  image = nullptr;
  Check(Ask("a() is None", alive) == "True", "deleting the image released the array");
}

void
ManyImagesInALoop()
{
  std::cout << "\n3. Many images made and freed in a loop, with flat memory.\n"
               "   Every owner lets go when it is destroyed, in C++ as in Python: no pool of references that only\n"
               "   empties at the end of some scope, so a loop's memory is one turn's, however many turns.\n";
  const auto turn = []() {
    auto         image = ImageOf(Python("np.ones((64, 64, 64), dtype=np.float32)")); // 1 MiB
    PythonObject view = ViewOf(image);
    return Ask("float(a[0, 0, 0])", view) == "1.0";
  };
  for (int warm = 0; warm < 50; ++warm)
  {
    turn();
  }
  const std::size_t before = ResidentMiB();
  bool              right = true;
  for (int index = 0; index < 2000; ++index)
  {
    right = turn() && right;
  }
  const std::size_t after = ResidentMiB();
  std::cout << "   2000 turns, 2000 MiB of images made and freed: resident memory " << before << " MiB before, "
            << after << " MiB after\n";
  Check(right, "every turn's image had the array's values");
  Check(after < before + 16, "resident memory stayed flat (within 16 MiB)");
}

void
AReferenceDroppedOnAThreadWithoutTheGIL()
{
  std::cout << "\n4. An image of an array dropped on a thread that does not hold the GIL.\n"
               "   Only a thread holding the GIL may change a Python object's count. The image's pixel container\n"
               "   takes the GIL itself (PyGILState_Ensure) to release the array, from whatever thread it dies on.\n";
  PythonObject       array = Python("np.zeros((16, 16, 16), dtype=np.float32)");
  const PythonObject alive = Python("__import__('weakref').ref(a)", array);
  ImageType::Pointer image = ImageOf(array);
  array.Reset();
  std::thread([image = std::move(image)]() mutable { image = nullptr; }).join();
  Check(Ask("a() is None", alive) == "True", "a thread that never held the GIL released the array, safely");
}

void
WithoutThePin()
{
  std::cout
    << "\n5. What goes wrong without the pin.\n"
       "   A view made from the buffer's address alone (numpy.ctypeslib over a raw pointer) holds nothing:\n"
       "   ITK frees the pixels when the image goes, and the view points at freed memory. Reading it then is\n"
       "   undefined behaviour (old values, someone else's data, or a crash), so this example does not read it.\n"
       "   NiBridge's view, made from the same image, pins the pixels and reads them safely.\n";
  auto   image = NewImage(32, 4.0f);
  bool   freed = false;
  auto * container = image->GetPixelContainer();
  WatchDeletion(container, &freed);
  const auto   address = reinterpret_cast<std::uintptr_t>(image->GetBufferPointer());
  PythonObject unpinned = Python("np.ctypeslib.as_array((__import__('ctypes').c_float * (32 ** 3)).from_address(" +
                                 std::to_string(address) + ")).reshape(32, 32, 32)");
  image = nullptr;
  std::cout << "   the image is deleted: its pixels were " << (freed ? "freed" : "kept")
            << ", and the unpinned view at 0x" << std::hex << address << std::dec << " still says it has "
            << Ask("a.size", unpinned) << " values\n";
  Check(freed, "without a pin, the pixels are freed while a view still points at them (not read here)");
  unpinned.Reset();

  auto image2 = NewImage(32, 4.0f);
  bool freed2 = false;
  WatchDeletion(image2->GetPixelContainer(), &freed2);
  PythonObject pinned = ViewOf(image2);
  image2 = nullptr;
  Check(!freed2 && Ask("float(a.max())", pinned) == "4.0",
        "with the pin, the same steps leave a view that reads right");
}
} // namespace

int
main()
{
  try
  {
    PythonInterpreter::Initialize();
    std::cout << "Python " << PythonInterpreter::Evaluate("__import__('sys').version.split()[0]") << " and NumPy "
              << PythonInterpreter::Evaluate("__import__('numpy').__version__") << ", started by NiBridge in this "
              << "C++ program; the GIL is released between calls (every call below takes it for itself).\n";
    AViewOutlivesItsImage();
    AnImageOutlivesItsArray();
    ManyImagesInALoop();
    AReferenceDroppedOnAThreadWithoutTheGIL();
    WithoutThePin();
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "nibridge-memory-lessons: " << error.GetDescription() << '\n';
    return 100;
  }
  std::cout << '\n' << (failures == 0 ? "all lessons hold" : "some lessons FAILED") << '\n';
  return failures;
}
