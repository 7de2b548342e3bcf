# DPICHAT_SANITIZE: ASan + UBSan for every target (Qt itself stays uninstrumented).
# DPICHAT_FUZZ: the same, built with clang and with libFuzzer's coverage instrumentation, so
# that the targets in fuzz/ see the edges of the shared and server code they drive.
if(DPICHAT_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "DPICHAT_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
    endif()
    set(DPICHAT_SANITIZE ON)
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(DPICHAT_SANITIZE)
    # -fno-sanitize-recover: undefined behaviour stops the test (a report that scrolls by
    # unnoticed is no report). vptr is left on: Qt is built with RTTI.
    set(_dpichat_san -fsanitize=address,undefined -fno-sanitize-recover=undefined)
    add_compile_options(${_dpichat_san} -fno-omit-frame-pointer -g)
    add_link_options(${_dpichat_san})
    add_compile_definitions(DPICHAT_SANITIZED=1)
endif()
