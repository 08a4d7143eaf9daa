// A plan attribute that is not an integer.
module attributes {edgeft.arena = "big"} {
  func.func @f() {
    return
  }
}
