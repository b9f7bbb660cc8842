# tinyice_library(NAME DIR deps...): a static library made of every .cpp in DIR
# (an interface library while the folder has only headers).
function(tinyice_library name dir)
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/${dir}/*.cpp")
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_link_libraries(${name} PUBLIC ${ARGN})
    target_include_directories(${name} PUBLIC "${CMAKE_SOURCE_DIR}/src")
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARGN})
    target_include_directories(${name} INTERFACE "${CMAKE_SOURCE_DIR}/src")
  endif()
endfunction()
