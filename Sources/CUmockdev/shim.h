#ifndef EGUMA_GATE_CUMOCKDEV_SHIM_H
#define EGUMA_GATE_CUMOCKDEV_SHIM_H
#include <umockdev.h>
#endif
