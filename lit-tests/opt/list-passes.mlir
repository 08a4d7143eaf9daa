// RUN: edgeft-opt --list-passes | filecheck %s

// CHECK:      edgeft passes:
// CHECK:      edgeft-param-summary  -  Print the table of parameter globals
// CHECK-NEXT:   output=<str>  file to write to; '-' is stdout (default: -)
// CHECK-NEXT:   format=<table|json>  text table or JSON (default: table)
