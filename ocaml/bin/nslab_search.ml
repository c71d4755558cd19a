(* Reads one JSON request on stdin and writes one JSON reply on stdout; a failure is a
   JSON object {"error": ...} on stdout with exit status 1. *)

let fail message =
  print_string (Yojson.Safe.to_string (`Assoc [ ("error", `String message) ]));
  print_newline ();
  exit 1

let () =
  (* Enumeration allocates many short-lived closures and cursors: a large minor heap keeps
     them out of the major heap, and a lazier major GC suits a heap that only grows. *)
  Gc.set { (Gc.get ()) with minor_heap_size = 8 * 1024 * 1024; space_overhead = 200 };
  match Yojson.Safe.from_channel stdin with
  | exception Yojson.Json_error message -> fail ("malformed JSON request: " ^ message)
  | request -> (
      match Program_search.Protocol.handle request with
      | reply ->
          print_string (Yojson.Safe.to_string reply);
          print_newline ()
      | exception Program_search.Dsl.Invalid message -> fail message
      | exception Yojson.Safe.Util.Type_error (message, _) -> fail ("bad request: " ^ message)
      | exception Out_of_memory -> fail "out of memory: lower timeout_s or set max_programs")
