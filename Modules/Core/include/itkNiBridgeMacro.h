/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNiBridgeMacro_h
#define itkNiBridgeMacro_h

#include "itkMacro.h"

// ITK 5.4 replaced itkTypeMacro by itkOverrideGetNameOfClassMacro; Debian 12's ITK 5.2 lacks it.
#ifndef itkOverrideGetNameOfClassMacro
#  define itkOverrideGetNameOfClassMacro(thisClass)                                                                    \
    const char * GetNameOfClass() const override { return #thisClass; }                                                \
    static_assert(true, "a semicolon follows this macro")
#endif

#endif
