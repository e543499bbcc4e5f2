# cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DSYMBOL=<namespace::name> -P EmbedText.cmake
# Writes a C++ source defining `extern const char name[]` with the text of
# INPUT, so a document kept as its own file in the repo (the OpenAPI
# description) is part of the binary.
file(READ ${INPUT} text)
string(FIND "${text}" ")loupe_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )loupe_embed\"")
endif()
string(REGEX MATCH "^(.*)::([^:]+)$" _ ${SYMBOL})
file(WRITE ${OUTPUT}
     "// Generated from ${INPUT} by cmake/EmbedText.cmake; do not edit.\n"
     "namespace ${CMAKE_MATCH_1} {\nextern const char ${CMAKE_MATCH_2}[];\n"
     "const char ${CMAKE_MATCH_2}[] = R\"loupe_embed(${text})loupe_embed\";\n}\n")
