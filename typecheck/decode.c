/* decode.c: being written */
