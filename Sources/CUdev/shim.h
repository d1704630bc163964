#ifndef EGUMA_GATE_CUDEV_SHIM_H
#define EGUMA_GATE_CUDEV_SHIM_H
#include <libudev.h>
#endif
