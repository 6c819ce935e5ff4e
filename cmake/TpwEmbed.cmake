# tpw_embed(<output.c> <symbol> <input-file>)
#
# Turns a data file into a C translation unit defining
#   const unsigned char <symbol>[]; const size_t <symbol>_size;
# so the library carries its reference data (ISO 4217 list, configured assets) and
# works from any directory after installation. Regenerated whenever the file changes.
function(tpw_embed output symbol input)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/TpwEmbedScript.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/TpwEmbedScript.cmake
    COMMENT "Embedding ${input}"
    VERBATIM)
endfunction()
