(* Running a program on the cursor state. Every primitive except identity does its own
   step and then runs its continuation (its last argument); func runs a subroutine and
   then resumes from the cursor it started with; if_positions_equal probes two branches
   for where they leave the cursor, undoes their edits, and runs one of two others. *)

type cursor = { position : int; port : int; stack : int list }

let initial = { position = 0; port = 0; stack = [] }

exception Step_budget_exceeded

type t = { dsl : Dsl.t; graph : Graph.t; step_budget : int; mutable steps : int }

let create dsl ~max_conn ~step_budget =
  if max_conn < 1 then Dsl.invalid "max_conn must be at least 1";
  if step_budget < 1 then Dsl.invalid "step_budget must be at least 1";
  (* Each node costs an add step, so the budget bounds the node count too. *)
  { dsl; graph = Graph.create ~max_conn ~node_capacity:(step_budget + 1); step_budget; steps = 0 }

type closure = Term of Program.t | Open of Dsl.body * closure array

let rec primitive evaluator (primitive : Dsl.primitive) (argument : int -> cursor -> cursor) cursor =
  evaluator.steps <- evaluator.steps + 1;
  if evaluator.steps > evaluator.step_budget then raise Step_budget_exceeded;
  let graph = evaluator.graph in
  match primitive with
  | Identity -> cursor
  | Next_port -> argument 0 { cursor with port = (cursor.port + 1) mod graph.max_conn }
  | Prev_port -> argument 0 { cursor with port = (cursor.port + graph.max_conn - 1) mod graph.max_conn }
  | Move ->
      let neighbour = Graph.neighbour graph cursor.position cursor.port in
      argument 0 (if neighbour >= 0 then { cursor with position = neighbour } else cursor)
  | Add ->
      if Graph.neighbour graph cursor.position cursor.port >= 0 then argument 0 cursor
      else argument 0 { cursor with position = Graph.add_neighbour graph cursor.position cursor.port }
  | Push -> argument 0 { cursor with stack = cursor.position :: cursor.stack }
  | Pop -> argument 0 { cursor with stack = (match cursor.stack with [] -> [] | _ :: rest -> rest) }
  | Connect ->
      (match cursor.stack with top :: _ -> Graph.connect graph cursor.position top cursor.port | [] -> ());
      argument 0 cursor
  | Func ->
      ignore (argument 0 cursor : cursor);
      argument 1 cursor
  | If_positions_equal ->
      let mark = Graph.mark graph in
      let first = (argument 0 cursor).position in
      Graph.rollback graph mark;
      let second = (argument 1 cursor).position in
      Graph.rollback graph mark;
      argument 4 (if first = second then argument 2 cursor else argument 3 cursor)

and run_term evaluator (program : Program.t) cursor =
  match evaluator.dsl.productions.(program.production).semantics with
  | Primitive kind -> primitive evaluator kind (fun index cursor -> run_term evaluator program.arguments.(index) cursor) cursor
  | Invention body -> run_open evaluator body (Array.map (fun argument -> Term argument) program.arguments) cursor

and run_open evaluator body environment cursor =
  match body with
  | Argument index -> (
      match environment.(index) with
      | Term program -> run_term evaluator program cursor
      | Open (inner, inner_environment) -> run_open evaluator inner inner_environment cursor)
  | Call (production, arguments) -> (
      match evaluator.dsl.productions.(production).semantics with
      | Primitive kind -> primitive evaluator kind (fun index cursor -> run_open evaluator arguments.(index) environment cursor) cursor
      | Invention inner -> run_open evaluator inner (Array.map (fun argument -> Open (argument, environment)) arguments) cursor)

(* Runs [program] from the one-node graph; the result is left in [evaluator.graph].
   Raises [Step_budget_exceeded] when it needs more primitive steps than the budget. *)
let run evaluator program =
  Graph.reset evaluator.graph;
  evaluator.steps <- 0;
  ignore (run_term evaluator program initial : cursor)
