// libxml2 as Debian builds it declares ICU types in encoding.h, which clash with the ICU that
// Foundation carries. Nothing here touches the encoding handlers' ICU fields, so the ICU parts
// are left out of the declarations.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
