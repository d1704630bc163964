#ifndef EGUMA_GATE_CGPIOD_SHIM_H
#define EGUMA_GATE_CGPIOD_SHIM_H
#include <gpiod.h>
#endif
