# ASan + UBSan for the whole tree when TPW_SANITIZE=ON. Any UB report aborts the
# test (no recovery), so ctest sees it as a failure.
if(TPW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
