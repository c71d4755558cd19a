(* The JSON protocol: a fixed request gives the same reply, known graphs are not new but
   cheaper programs for them are reported, and bad requests fail with a clear message. *)

open Program_search

let check condition message = if not condition then failwith message

let member = Yojson.Safe.Util.member

let initial_dsl = member "dsl" (Protocol.handle (`Assoc [ ("command", `String "initial_dsl") ]))

let search_request extra =
  (* Fields given in [extra] come first, and a JSON member lookup takes the first. *)
  `Assoc (extra @ [ ("command", `String "search"); ("dsl", initial_dsl); ("timeout_s", `Float 60.0); ("max_conn", `Int 4) ])

let without_timing = function
  | `Assoc fields -> `Assoc (List.filter (fun (name, _) -> name <> "elapsed_s") fields)
  | other -> other

let expect_invalid request fragment =
  match Protocol.handle request with
  | _ -> failwith ("accepted a bad request, expected an error mentioning " ^ fragment)
  | exception Dsl.Invalid message ->
      let contains = try ignore (Str.search_forward (Str.regexp_string fragment) message 0); true with Not_found -> false in
      check contains (Printf.sprintf "error %S does not mention %S" message fragment)

let () =
  let request = search_request [ ("max_programs", `Int 40000); ("max_new", `Int 1000) ] in
  let first = without_timing (Protocol.handle request) and second = without_timing (Protocol.handle request) in
  check (Yojson.Safe.equal first second) "the same request gave different replies";
  let found = Yojson.Safe.Util.to_list (member "new" first) in
  check (List.length found >= 3) "the search found too few graphs";
  check (member "stop_reason" first = `String "max_programs") "the search did not stop at max_programs";
  let keys = List.map (fun item -> member "key" item) found in
  check (List.length (List.sort_uniq compare keys) = List.length keys) "two new graphs share a canonical key";
  (* A costly known program for the 2-node graph: not new, and (add identity) replaces it. *)
  let reply = Protocol.handle (search_request [ ("max_new", `Int 2); ("max_programs", `Int 100000); ("known", `List [ `String "(next_port (prev_port (add identity)))" ]) ]) in
  let programs = List.map (fun item -> member "program" item) (Yojson.Safe.Util.to_list (member "new" reply)) in
  check (not (List.mem (`String "(add identity)") programs)) "a known graph was reported as new";
  (match Yojson.Safe.Util.to_list (member "replacements" reply) with
  | [ replacement ] -> check (member "program" replacement = `String "(add identity)") "wrong replacement program"
  | _ -> failwith "expected exactly one replacement");
  (* A grammar without recursive entries runs out of programs and says so. *)
  let finite_dsl = `Assoc [ ("primitives", `List [ `Assoc [ ("name", `String "identity"); ("log_probability", `Float 0.0) ] ]) ] in
  let finite = Protocol.handle (`Assoc [ ("command", `String "search"); ("dsl", finite_dsl); ("min_nodes", `Int 1) ]) in
  check (member "stop_reason" finite = `String "exhausted" && member "n_enumerated" finite = `Int 1) "a finite grammar did not run out";
  expect_invalid (`Assoc [ ("command", `String "explode") ]) "unknown command";
  expect_invalid (search_request [ ("known", `List [ `String "(add)" ]) ]) "add takes 1 argument";
  expect_invalid (search_request [ ("known", `List [ `String "(grow identity)" ]) ]) "unknown name \"grow\"";
  expect_invalid (search_request [ ("max_conn", `Int 0) ]) "max_conn";
  expect_invalid
    (`Assoc [ ("command", `String "incorporate"); ("dsl", initial_dsl); ("inventions", `List [ `Assoc [ ("name", `String "fn_0"); ("body", `String "(add #0)") ] ]) ])
    "stitch abstraction variable";
  print_endline "protocol: ok"
