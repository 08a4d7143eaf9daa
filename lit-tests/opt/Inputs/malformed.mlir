// Not a valid module: %x is used before it is defined.
func.func @f() -> i32 {
  %a = arith.constant 1 : i32
  %b = arith.addi %x, %a : i32
  return %b : i32
}
