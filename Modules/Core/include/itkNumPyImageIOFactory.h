/*=========================================================================
 *
 *  NiBridge: ITK images, NumPy arrays and nibabel formats.
 *  Licensed under the Apache License, Version 2.0.
 *
 *=========================================================================*/
#ifndef itkNumPyImageIOFactory_h
#define itkNumPyImageIOFactory_h

#include "NiBridgeCoreExport.h"

#include "itkNiBridgeImageIOFactory.h"
#include "itkNumPyImageIO.h"

namespace itk
{
/** The factory of NumPyImageIO, so that itk::ImageFileReader and itk::ImageFileWriter handle `.npy` files: register
 * it with NumPyImageIOFactory::RegisterOneFactory(), with NumPyImageIOFactoryRegister__Private() (which ITK's factory
 * registration calls for the FACTORY_NAMES of itk-module.cmake), or with all of NiBridge's readers through
 * itk::nibridge::RegisterImageIOFactories().
 * \ingroup NiBridgeCore
 */
using NumPyImageIOFactory = NiBridgeImageIOFactory<NumPyImageIO>;

/** Registers the factory once per process, however often it is called; ITK's generated factory registration
 * calls it by this name. */
NiBridgeCore_EXPORT void
NumPyImageIOFactoryRegister__Private();

} // namespace itk

#endif
