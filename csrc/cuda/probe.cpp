// Can this process use a GPU, and if not, why not (host C++).
#include "cuda/check.hpp"
#include "cuda/kde_cuda.hpp"
#include "cuda/kernels.hpp"

#ifndef SIMPOR_CUDA_ARCHITECTURES
#define SIMPOR_CUDA_ARCHITECTURES "unknown"
#endif

namespace simpor::cuda {
namespace {

std::string device_count_failure(cudaError_t e) {
  const std::string call = "cudaGetDeviceCount returned " + error_text(e);
  if (e == cudaErrorInsufficientDriver)
    return "no usable NVIDIA driver: " + call +
           " (the driver is missing, or older than the CUDA " + std::to_string(runtime_version() / 1000) + "." +
           std::to_string(runtime_version() % 1000 / 10) + " runtime this module was built with)";
  if (e == cudaErrorNoDevice) return "no CUDA device: " + call;
  return "CUDA initialisation failed: " + call;
}

ProbeResult run_probe() {
  ProbeResult r;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    r.reason = device_count_failure(e);
    return r;
  }
  if (count == 0) {
    r.reason = "no CUDA device: the driver reports 0 devices";
    return r;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) r.devices.emplace_back(prop.name);
    else cudaGetLastError();
  }
  int device = 0, major = 0, minor = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  cudaError_t load_error = cudaSuccess;
  if (!kernels_loadable(&load_error)) {
    r.reason = "no kernel in this build runs on device " + std::to_string(device) + " (compute capability " +
               std::to_string(major) + "." + std::to_string(minor) + "; built for CUDA architectures " +
               SIMPOR_CUDA_ARCHITECTURES + "): " + error_text(load_error);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace

ProbeResult probe() {
  // The answer cannot change within a process (the runtime reads the driver
  // and the visible devices once), so it is computed once.
  static const ProbeResult result = run_probe();
  return result;
}

std::string build_architectures() { return SIMPOR_CUDA_ARCHITECTURES; }

int runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return v;
}

}  // namespace simpor::cuda
