# tal.mk - build typed assembly into verified, signed modules with make.
#
#   TAL_HOST_DIR = /path/to/runtime        # where tal_host.tali is
#   include /path/to/tal.mk
#
#   all: prog.signed.tlm                   # link, verify and sign
#   prog.tlm: main.o vec.o                 # the units of a module
#
# Rules:
#   %.o: %.tal                  talas, with dependency tracking (-MD): an
#                               edited .include or .interface rebuilds it
#   %.tlm: %.o                  tallink: the module of %.o and whatever else
#                               the Makefile lists as prerequisites of %.tlm
#   %.signed.tlm: %.tlm         talcheck verifies it and signs it with
#                               $(TAL_KEY) and $(TAL_CERT)
#   $(TAL_KEY):                 talkey makes a key and certificate if none
#
# Variables (set before or after the include; make's usual ?= defaults):
#   TAL_BIN      directory of talas, tallink, talcheck, talkey (default:
#                found on PATH)
#   TAL_HOST_DIR the host interface's directory (default: $(TAL_BIN)../share/tal)
#   TAL_KEY, TAL_CERT  signing key and certificate (default: talkey.pem,
#                talcert.pem in the current directory)
#   TALASFLAGS, TALLINKFLAGS, TALCHECKFLAGS  extra options
#
# Every tool writes its output atomically, so make -j and interrupted builds
# never leave half-written files; a failed step leaves nothing behind.

# the including Makefile keeps its default goal
_tal_goal := $(.DEFAULT_GOAL)

TAL_BIN      ?=
TAL_HOST_DIR ?= $(if $(TAL_BIN),$(TAL_BIN)/../share/tal,/usr/local/share/tal)
TALAS        ?= $(TAL_BIN)$(if $(TAL_BIN),/)talas
TALLINK      ?= $(TAL_BIN)$(if $(TAL_BIN),/)tallink
TALCHECK     ?= $(TAL_BIN)$(if $(TAL_BIN),/)talcheck
TALKEY       ?= $(TAL_BIN)$(if $(TAL_BIN),/)talkey
TAL_KEY      ?= talkey.pem
TAL_CERT     ?= talcert.pem
TALASFLAGS   ?=
TALLINKFLAGS ?=
TALCHECKFLAGS ?=

%.o: %.tal
	$(TALAS) $(TALASFLAGS) -I $(TAL_HOST_DIR) -MD -MF $*.d -MT $@ -o $@ $<

%.tlm: %.o
	$(TALLINK) $(TALLINKFLAGS) -I $(TAL_HOST_DIR) -MD -MF $@.d -MT $@ -o $@ $(filter %.o,$^)

%.signed.tlm: %.tlm $(TAL_KEY)
	$(TALCHECK) $(TALCHECKFLAGS) --sign $(TAL_KEY) --cert $(TAL_CERT) -o $@ $<

# The key and its certificate come together; talkey never overwrites one.
$(TAL_KEY):
	$(TALKEY) -k $(TAL_KEY) -c $(TAL_CERT)

# linked modules are kept: they are what the signed ones are made from
.SECONDARY:

-include $(wildcard *.d *.tlm.d)

.DEFAULT_GOAL := $(_tal_goal)
