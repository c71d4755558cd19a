(* Distributional exploration: enumerate programs from the DSL's grammar in non-increasing
   probability, run each one, and keep every graph not seen before (under isomorphism)
   with the first, hence cheapest, program that built it. Graphs already owned by known
   programs are not new, but a cheaper program for one of them is reported as a replacement. *)

type settings = {
  timeout_s : float;
  max_new : int;
  max_programs : int option;
  size_limit : int;
  min_nodes : int;
  max_conn : int;
  step_budget : int;
}

type found = { program : string; graph : Yojson.Safe.t; key : string; cost : float; size : int; n_nodes : int }

type replacement = { known_index : int; replacement_program : string; new_cost : float; old_cost : float }

type outcome = {
  found : found list;
  replacements : replacement list;
  n_enumerated : int;
  n_evaluated : int;
  n_over_budget : int;
  elapsed_s : float;
  stop_reason : string;
}

(* Canonical keys are memoised by the labelled graph: most programs rebuild, node for
   node, a graph some earlier program built. *)
type deduplicator = { labelled_to_key : (string, string) Hashtbl.t }

let deduplicator () = { labelled_to_key = Hashtbl.create 4096 }

let canonical_key deduplicator graph =
  let labelled = Graph.labelled_key graph in
  match Hashtbl.find_opt deduplicator.labelled_to_key labelled with
  | Some key -> key
  | None ->
      let key = Canonical.key (Graph.adjacency graph) in
      Hashtbl.replace deduplicator.labelled_to_key labelled key;
      key

type owner = Known of int * float | Discovered

let run (dsl : Dsl.t) (settings : settings) (known : string list) : outcome =
  let started = Unix.gettimeofday () in
  let builder = Program.builder dsl in
  let evaluator = Eval.create dsl ~max_conn:settings.max_conn ~step_budget:settings.step_budget in
  let deduplicator = deduplicator () in
  let owners : (string, owner) Hashtbl.t = Hashtbl.create 1024 in
  List.iteri
    (fun index text ->
      let program = Program.of_string builder text in
      match Eval.run evaluator program with
      | () ->
          let key = canonical_key deduplicator evaluator.graph in
          if not (Hashtbl.mem owners key) then Hashtbl.replace owners key (Known (index, -.program.log_probability))
      | exception Eval.Step_budget_exceeded -> ())
    known;
  let search = Heap_search.create builder in
  let found = ref [] and n_found = ref 0 and replacements = ref [] in
  let n_enumerated = ref 0 and n_evaluated = ref 0 and n_over_budget = ref 0 in
  let stop_reason = ref None in
  let out_of_time () = Unix.gettimeofday () -. started >= settings.timeout_s in
  if settings.max_new <= 0 then stop_reason := Some "max_new";
  let consider (program : Program.t) =
    incr n_enumerated;
    if program.size <= settings.size_limit then begin
      incr n_evaluated;
      match Eval.run evaluator program with
      | exception Eval.Step_budget_exceeded -> incr n_over_budget
      | () ->
          let graph = evaluator.graph in
          if graph.n_nodes >= settings.min_nodes then begin
            let key = canonical_key deduplicator graph in
            match Hashtbl.find_opt owners key with
            | None ->
                Hashtbl.replace owners key Discovered;
                found :=
                  {
                    program = Program.to_string dsl program;
                    graph = Graph.to_json graph;
                    key;
                    cost = -.program.log_probability;
                    size = program.size;
                    n_nodes = graph.n_nodes;
                  }
                  :: !found;
                incr n_found;
                if !n_found >= settings.max_new then stop_reason := Some "max_new"
            | Some (Known (index, old_cost)) ->
                (* Enumeration order makes this the cheapest program for the graph from
                   now on, so the graph is settled either way. *)
                Hashtbl.replace owners key Discovered;
                let new_cost = -.program.log_probability in
                if new_cost < old_cost -. 1e-9 then
                  replacements := { known_index = index; replacement_program = Program.to_string dsl program; new_cost; old_cost } :: !replacements
            | Some Discovered -> ()
          end
    end;
    (match settings.max_programs with
    | Some limit when !n_enumerated >= limit && !stop_reason = None -> stop_reason := Some "max_programs"
    | _ -> ());
    if !n_enumerated land 255 = 0 && !stop_reason = None && out_of_time () then stop_reason := Some "timeout"
  in
  while !stop_reason = None do
    match Heap_search.next search with
    | None -> stop_reason := Some "exhausted"
    | Some program -> consider program
  done;
  {
    found = List.rev !found;
    replacements = List.rev !replacements;
    n_enumerated = !n_enumerated;
    n_evaluated = !n_evaluated;
    n_over_budget = !n_over_budget;
    elapsed_s = Unix.gettimeofday () -. started;
    stop_reason = Option.get !stop_reason;
  }
