(* Heap search must yield programs in non-increasing probability, each once, and miss
   none: every program above a probability threshold (found by brute force) comes out
   before the first program below it. *)

open Program_search

let check condition message = if not condition then failwith message

let dsl_with_weights random =
  let entries =
    List.map
      (fun (name, _, _) -> `Assoc [ ("name", `String name); ("log_probability", `Float (-.Random.State.float random 3.0)) ])
      Dsl.base_primitives
  in
  Dsl.of_json (`Assoc [ ("primitives", `List entries); ("inventions", `List [ `Assoc [ ("name", `String "fn_0"); ("body", `String "(lam (push (add (connect $0))))"); ("log_probability", `Float (-1.0)) ] ]) ])

(* All programs whose log-probability is at least [threshold], as strings. *)
let brute_force dsl threshold =
  let productions = dsl.Dsl.productions in
  (* Programs of each log-probability are built from smaller ones: enumerate by recursion
     over argument lists, pruning as soon as the running total drops below the threshold. *)
  let rec programs budget : (string * float) list =
    List.concat
      (List.map
         (fun (production : Dsl.production) ->
           let start = production.log_probability in
           if start < budget then []
           else
             let rec fill remaining total parts =
               if remaining = 0 then [ (List.rev parts, total) ]
               else
                 List.concat_map
                   (fun (text, log_probability) -> fill (remaining - 1) (total +. log_probability) (text :: parts))
                   (List.filter (fun (_, log_probability) -> total +. log_probability >= budget) (programs (budget -. total)))
             in
             List.map
               (fun (parts, total) ->
                 ((if production.arity = 0 then production.name else "(" ^ String.concat " " (production.name :: parts) ^ ")"), total))
               (fill production.arity start []))
         (Array.to_list productions))
  in
  programs threshold

let () =
  let random = Random.State.make [| 11 |] in
  for _ = 1 to 3 do
    let dsl = dsl_with_weights random in
    let builder = Program.builder dsl in
    let search = Heap_search.create builder in
    let previous = ref infinity and seen = Hashtbl.create 1024 in
    let emitted = Array.init 30000 (fun _ -> Option.get (Heap_search.next search)) in
    Array.iter
      (fun (program : Program.t) ->
        check (program.log_probability <= !previous +. 1e-9)
          (Printf.sprintf "probability went up: %f after %f" program.log_probability !previous);
        previous := program.log_probability;
        check (not (Hashtbl.mem seen program.id)) "a program came out twice";
        Hashtbl.replace seen program.id ())
      emitted;
    let last = emitted.(Array.length emitted - 1).log_probability in
    let threshold = last +. 1e-6 in
    let expected = brute_force dsl threshold in
    let emitted_texts = Hashtbl.create 1024 in
    Array.iter (fun program -> Hashtbl.replace emitted_texts (Program.to_string dsl program) ()) emitted;
    check (List.length expected > 1000) "the completeness check covers too few programs";
    List.iter (fun (text, _) -> check (Hashtbl.mem emitted_texts text) ("heap search missed " ^ text)) expected
  done;
  print_endline "heap search: ok"
