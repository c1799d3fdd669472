// Whether this build runs under a sanitizer that maps shadow memory and
// forks helpers of its own (AddressSanitizer, ThreadSanitizer): such builds
// (tests) keep fork, exec and ptrace in the sandbox and set no memory limit
// on a trial compile, whose shadow mappings would pass any.
#pragma once

namespace dlp {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace dlp
