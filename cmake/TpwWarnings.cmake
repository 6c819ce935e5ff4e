# Warnings are errors everywhere, and -Wconversion is on for every target: money
# code must never narrow silently, and the rest of the tree keeps to the same bar.
function(tpw_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror
    -Wconversion -Wsign-conversion -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wvla -Wformat=2 -Wundef -Wcast-qual -Wwrite-strings
    -Wimplicit-fallthrough -Wnull-dereference -Wdouble-promotion)
endfunction()
