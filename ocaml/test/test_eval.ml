(* Evaluation: the worked semantics of each primitive, and the graph invariants
   (connected, simple, ports below max_conn and used once per node) on random programs. *)

open Program_search

let check condition message = if not condition then failwith message

let dsl = Dsl.uniform ()

let build ?(max_conn = 4) ?(step_budget = 100) text =
  let evaluator = Eval.create dsl ~max_conn ~step_budget in
  Eval.run evaluator (Program.of_string (Program.builder dsl) text);
  evaluator.graph

let edges_of text = let graph = build text in (graph.n_nodes, Graph.edges graph)

let expect text expected =
  let got = edges_of text in
  let show (n, edges) = Printf.sprintf "%d nodes [%s]" n (String.concat "; " (List.map (fun (a, b, p) -> Printf.sprintf "%d-%d@%d" a b p) edges)) in
  check (got = expected) (Printf.sprintf "%s built %s, expected %s" text (show got) (show expected))

let check_invariants (graph : Graph.t) ~steps =
  let n = graph.n_nodes in
  check (n <= steps + 1) "more nodes than add steps allow";
  let seen_pairs = Hashtbl.create 16 in
  List.iter
    (fun (a, b, port) ->
      check (a <> b) "self-loop";
      check (port >= 0 && port < graph.max_conn) "port out of range";
      check (a < n && b < n) "edge to a missing node";
      check (Graph.neighbour graph a port = b && Graph.neighbour graph b port = a) "port table disagrees with the edge list";
      check (not (Hashtbl.mem seen_pairs (min a b, max a b))) "two edges between one pair";
      Hashtbl.replace seen_pairs (min a b, max a b) ())
    (Graph.edges graph);
  let used = ref 0 in
  for node = 0 to n - 1 do
    for port = 0 to graph.max_conn - 1 do if Graph.neighbour graph node port >= 0 then incr used done
  done;
  check (!used = 2 * graph.n_edges) "a port is taken by no edge or by two";
  for node = n to graph.node_capacity - 1 do
    for port = 0 to graph.max_conn - 1 do check (Graph.neighbour graph node port < 0) "rolled-back node kept an edge" done
  done;
  let reached = Array.make n false in
  let rec visit node = if not reached.(node) then begin reached.(node) <- true; Array.iter visit (Graph.adjacency graph).(node) end in
  visit 0;
  check (Array.for_all Fun.id reached) "graph is not connected"

let random_program random builder =
  let productions = dsl.productions in
  let leaves = List.filter (fun i -> productions.(i).Dsl.arity = 0) (List.init (Array.length productions) Fun.id) in
  let rec sample depth =
    let production =
      if depth > 9 then List.nth leaves (Random.State.int random (List.length leaves)) else Random.State.int random (Array.length productions)
    in
    Program.make builder production (Array.init productions.(production).arity (fun _ -> sample (depth + 1)))
  in
  sample 0

let () =
  expect "identity" (1, []);
  expect "(add identity)" (2, [ (0, 1, 0) ]);
  (* The cursor follows the new node, whose port 0 is now taken: a second add does nothing. *)
  expect "(add (add identity))" (2, [ (0, 1, 0) ]);
  expect "(add (next_port (add identity)))" (3, [ (0, 1, 0); (1, 2, 1) ]);
  expect "(add (prev_port (add identity)))" (3, [ (0, 1, 0); (1, 2, 3) ]);
  (* func resumes at the node and port it started from. *)
  expect "(func (add identity) (next_port (add identity)))" (3, [ (0, 1, 0); (0, 2, 1) ]);
  (* move follows the edge on the current port. *)
  expect "(add (move (next_port (add identity))))" (3, [ (0, 1, 0); (0, 2, 1) ]);
  (* connect joins the cursor to the node on top of the stack: a triangle. *)
  expect "(push (add (next_port (add (next_port (connect identity))))))" (3, [ (0, 1, 0); (1, 2, 1); (2, 0, 2) ]);
  (* ... unless the stack is empty, the pair is adjacent, or a port is taken. *)
  expect "(add (next_port (add (next_port (connect identity)))))" (3, [ (0, 1, 0); (1, 2, 1) ]);
  expect "(push (add (next_port (connect identity))))" (2, [ (0, 1, 0) ]);
  expect "(push (pop (add (next_port (add (next_port (connect identity)))))))" (3, [ (0, 1, 0); (1, 2, 1) ]);
  (* The two probes end at the same node: take the third branch, then the continuation. *)
  expect "(if_positions_equal identity identity (add identity) identity (next_port (add identity)))" (3, [ (0, 1, 0); (1, 2, 1) ]);
  (* Probes that differ: the fourth branch runs, and the probe's new node is undone. *)
  expect "(if_positions_equal (add identity) identity identity (next_port (add identity)) identity)" (2, [ (0, 1, 1) ]);
  (* Inventions expand to their bodies with arguments in application order. *)
  let with_invention =
    Dsl.add_inventions dsl [ ("fn_0", "(lam (lam (func $1 (next_port $0))))"); ("fn_1", "(add identity)") ]
  in
  let evaluator = Eval.create with_invention ~max_conn:4 ~step_budget:100 in
  Eval.run evaluator (Program.of_string (Program.builder with_invention) "(fn_0 fn_1 (add (next_port fn_1)))");
  check (Graph.edges evaluator.graph = [ (0, 1, 0); (0, 2, 1); (2, 3, 2) ]) "invention expansion built the wrong graph";
  (* The step budget stops runaway programs. *)
  (match build ~step_budget:3 "(add (next_port (add (next_port (add identity)))))" with
  | _ -> failwith "a 5-step program ran under a budget of 3"
  | exception Eval.Step_budget_exceeded -> ());
  let random = Random.State.make [| 3 |] in
  let evaluator = Eval.create dsl ~max_conn:3 ~step_budget:60 in
  let builder = Program.builder dsl in
  let completed = ref 0 and grown = ref 0 in
  for _ = 1 to 20000 do
    match Eval.run evaluator (random_program random builder) with
    | () ->
        incr completed;
        if evaluator.graph.n_nodes > 2 then incr grown;
        check_invariants evaluator.graph ~steps:evaluator.steps
    | exception Eval.Step_budget_exceeded -> ()
  done;
  check (!completed > 5000 && !grown > 500) (Printf.sprintf "random programs too rarely completed (%d) or grew (%d)" !completed !grown);
  print_endline "evaluation: ok"
