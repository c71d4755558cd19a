(* One JSON request in, one JSON reply out. The request's "command" picks the operation. *)

let member = Yojson.Safe.Util.member

let int_field ~default name json =
  match member name json with
  | `Null -> default
  | `Int value -> value
  | _ -> Dsl.invalid "request: %S must be an integer" name

let float_field ~default name json =
  match member name json with
  | `Null -> default
  | `Int value -> float_of_int value
  | `Float value -> value
  | _ -> Dsl.invalid "request: %S must be a number" name

let strings_field name json =
  match member name json with
  | `Null -> []
  | `List items -> List.map (function `String text -> text | _ -> Dsl.invalid "request: %S must be a list of strings" name) items
  | _ -> Dsl.invalid "request: %S must be a list of strings" name

let dsl_field json =
  match member "dsl" json with `Null -> Dsl.invalid "request: missing \"dsl\"" | dsl -> Dsl.of_json dsl

let at_least name minimum value =
  if value < minimum then Dsl.invalid "request: %S must be at least %d, got %d" name minimum value;
  value

let max_conn json = at_least "max_conn" 1 (int_field ~default:10 "max_conn" json)

let step_budget json = at_least "step_budget" 1 (int_field ~default:200 "step_budget" json)

let search_settings json : Search.settings =
  let timeout_s = float_field ~default:1.0 "timeout_s" json in
  if not (timeout_s > 0.0) then Dsl.invalid "request: \"timeout_s\" must be positive";
  {
    timeout_s;
    max_new = at_least "max_new" 0 (int_field ~default:50 "max_new" json);
    max_programs = (match member "max_programs" json with `Null -> None | _ -> Some (at_least "max_programs" 1 (int_field ~default:1 "max_programs" json)));
    size_limit = at_least "size_limit" 1 (int_field ~default:150 "size_limit" json);
    min_nodes = at_least "min_nodes" 1 (int_field ~default:2 "min_nodes" json);
    max_conn = max_conn json;
    step_budget = step_budget json;
  }

let search json : Yojson.Safe.t =
  let dsl = dsl_field json in
  let outcome = Search.run dsl (search_settings json) (strings_field "known" json) in
  `Assoc
    [
      ( "new",
        `List
          (List.map
             (fun (found : Search.found) ->
               `Assoc
                 [
                   ("program", `String found.program);
                   ("graph", found.graph);
                   ("key", `String found.key);
                   ("cost", `Float found.cost);
                   ("size", `Int found.size);
                 ])
             outcome.found) );
      ( "replacements",
        `List
          (List.map
             (fun (replacement : Search.replacement) ->
               `Assoc
                 [
                   ("known_index", `Int replacement.known_index);
                   ("program", `String replacement.replacement_program);
                   ("cost", `Float replacement.new_cost);
                   ("old_cost", `Float replacement.old_cost);
                 ])
             outcome.replacements) );
      ("n_enumerated", `Int outcome.n_enumerated);
      ("n_evaluated", `Int outcome.n_evaluated);
      ("n_over_budget", `Int outcome.n_over_budget);
      ("elapsed_s", `Float outcome.elapsed_s);
      ("stop_reason", `String outcome.stop_reason);
    ]

(* Runs each program; a program over the step budget yields an error entry, not a failure. *)
let evaluate_one builder evaluator deduplicator text : Yojson.Safe.t =
  let program = Program.of_string builder text in
  let common = [ ("program", `String text); ("cost", `Float (-.program.log_probability)); ("size", `Int program.size) ] in
  match Eval.run evaluator program with
  | () ->
      `Assoc
        (common
        @ [
            ("graph", Graph.to_json evaluator.graph);
            ("key", `String (Search.canonical_key deduplicator evaluator.graph));
            ("labelled_key", `String (Graph.labelled_key evaluator.graph));
          ])
  | exception Eval.Step_budget_exceeded -> `Assoc (common @ [ ("error", `String "step budget exceeded") ])

let evaluate json : Yojson.Safe.t =
  let dsl = dsl_field json in
  let builder = Program.builder dsl in
  let evaluator = Eval.create dsl ~max_conn:(max_conn json) ~step_budget:(step_budget json) in
  let deduplicator = Search.deduplicator () in
  `Assoc [ ("results", `List (List.map (evaluate_one builder evaluator deduplicator) (strings_field "programs" json))) ]

let reweight json : Yojson.Safe.t =
  let dsl = dsl_field json in
  let builder = Program.builder dsl in
  let programs = List.map (Program.of_string builder) (strings_field "programs" json) in
  let pseudocount = float_field ~default:1.0 "pseudocount" json in
  if not (pseudocount > 0.0) then Dsl.invalid "request: \"pseudocount\" must be positive";
  let max_diff =
    match member "max_diff" json with
    | `Null -> None
    | _ ->
        let limit = float_field ~default:0.0 "max_diff" json in
        if not (limit > 0.0) then Dsl.invalid "request: \"max_diff\" must be positive";
        Some limit
  in
  let usage = Program.usage dsl programs in
  `Assoc
    [
      ("dsl", Dsl.to_json (Dsl.reweight dsl ~usage ~pseudocount ~max_diff));
      ("usage", `Assoc (Array.to_list (Array.mapi (fun index (production : Dsl.production) -> (production.name, `Int usage.(index))) dsl.productions)));
    ]

(* Adds inventions (bodies in (lam ...)/$i form) and checks that each rewritten program
   builds exactly the graph its original built, node for node and port for port. *)
let incorporate json : Yojson.Safe.t =
  let dsl = dsl_field json in
  let inventions =
    match member "inventions" json with
    | `List items -> List.map (fun item -> (Dsl.string_field ~context:"invention" "name" item, Dsl.string_field ~context:"invention" "body" item)) items
    | `Null -> []
    | _ -> Dsl.invalid "request: \"inventions\" must be a list"
  in
  let extended = Dsl.add_inventions dsl inventions in
  let max_conn = max_conn json and step_budget = step_budget json in
  let before = Eval.create dsl ~max_conn ~step_budget and after = Eval.create extended ~max_conn ~step_budget in
  let old_builder = Program.builder dsl and new_builder = Program.builder extended in
  let graph_of evaluator program =
    match Eval.run evaluator program with
    | () -> Some (Graph.labelled_key evaluator.graph)
    | exception Eval.Step_budget_exceeded -> None
  in
  let rewrites =
    match member "rewrites" json with
    | `List items -> items
    | `Null -> []
    | _ -> Dsl.invalid "request: \"rewrites\" must be a list"
  in
  let checked =
    List.map
      (fun item ->
        let original = Program.of_string old_builder (Dsl.string_field ~context:"rewrite" "original" item) in
        let rewritten_text = Dsl.string_field ~context:"rewrite" "rewritten" item in
        let rewritten = Program.of_string new_builder rewritten_text in
        let original_graph = graph_of before original in
        `Assoc
          [
            ("program", `String rewritten_text);
            ("same_graph", `Bool (original_graph <> None && original_graph = graph_of after rewritten));
            ("cost", `Float (-.rewritten.log_probability));
            ("size", `Int rewritten.size);
          ])
      rewrites
  in
  `Assoc [ ("dsl", Dsl.to_json extended); ("rewrites", `List checked) ]

let initial_dsl _json : Yojson.Safe.t = `Assoc [ ("dsl", Dsl.to_json (Dsl.uniform ())) ]

let commands = [ ("search", search); ("evaluate", evaluate); ("reweight", reweight); ("incorporate", incorporate); ("initial_dsl", initial_dsl) ]

let handle (request : Yojson.Safe.t) : Yojson.Safe.t =
  match member "command" request with
  | `String name -> (
      match List.assoc_opt name commands with
      | Some command -> command request
      | None -> Dsl.invalid "unknown command %S (known: %s)" name (String.concat ", " (List.map fst commands)))
  | _ -> Dsl.invalid "request: \"command\" must be one of %s" (String.concat ", " (List.map fst commands))
