// A shared library of the consumer's own with dgram linked into it.
#pragma once

#include <string>

#if defined(_WIN32)
#define CONSUMER_PLUGIN_API __declspec(dllexport)
#else
#define CONSUMER_PLUGIN_API __attribute__((visibility("default")))
#endif

/// Sends `text` to itself over loopback; returns what arrived ("" if none).
CONSUMER_PLUGIN_API std::string plugin_roundtrip(const std::string& text);
