/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
// This program links neither ITK nor libpython: like elastix loading an ITK_AUTOLOAD_PATH plugin, it meets
// Python only through a module it dlopen()s with RTLD_LOCAL.

#include "gtest/gtest.h"

#include <dlfcn.h>

namespace
{
using EvaluateFunction = int (*)(char *, std::size_t);

/** True if a libpython symbol is visible to code that looks in the global scope, as NumPy's extensions do. */
bool
PythonSymbolsAreGlobal()
{
  return dlsym(RTLD_DEFAULT, "PyExc_ImportError") != nullptr;
}
} // namespace

TEST(NiBridgePythonLoadedAsAPlugin, ImportsNumPyAlthoughLoadedWithRTLDLocal)
{
  ASSERT_FALSE(PythonSymbolsAreGlobal()) << "this program must not link libpython";
  void * module = dlopen(NIBRIDGE_TEST_RTLD_LOCAL_MODULE, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(module, nullptr) << dlerror();
  EXPECT_FALSE(PythonSymbolsAreGlobal()) << "RTLD_LOCAL keeps libpython's symbols out of the global scope";

  auto evaluate = reinterpret_cast<EvaluateFunction>(dlsym(module, "NiBridgeTestEvaluateNumPy"));
  ASSERT_NE(evaluate, nullptr) << dlerror();
  char text[8192];
  EXPECT_EQ(evaluate(text, sizeof(text)), 1) << text;
  EXPECT_STREQ(text, "45");
  EXPECT_TRUE(PythonSymbolsAreGlobal()) << "starting Python promotes libpython to RTLD_GLOBAL";
}
