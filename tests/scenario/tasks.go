// Faults as vCenter words them. vcsim's Task.Run puts the Go type ("*types.ConcurrentAccess") in
// a failed task's info.error.localizedMessage; the calls patched here run their tasks through
// runTask instead, which puts vCenter's English message there, and answer non-task calls with a
// SOAP fault whose faultstring is the same message.
package main

import (
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// faultMessage is vCenter 6.7's localized (en) message for a fault.
func faultMessage(f types.BaseMethodFault) string {
	switch x := f.(type) {
	case *types.ConcurrentAccess:
		return "Cannot complete operation due to concurrent modification by another operation."
	case *types.InvalidPowerState:
		return fmt.Sprintf("The attempted operation cannot be performed in the current state (%s).", powerStateWord(x.ExistingState))
	case *types.NotSupported:
		return "The operation is not supported on the object."
	case *types.NotFound:
		return "The object or item referred to could not be found."
	case *types.InvalidArgument:
		return "A specified parameter was not correct: " + x.InvalidProperty
	case *types.AlreadyExists:
		return fmt.Sprintf("The specified key, name, or identifier '%s' already exists.", x.Name)
	case *types.DuplicateName:
		return fmt.Sprintf("The name '%s' already exists.", x.Name)
	}
	return fmt.Sprintf("%T", f)
}

func powerStateWord(s types.VirtualMachinePowerState) string {
	switch s {
	case types.VirtualMachinePowerStatePoweredOn:
		return "Powered on"
	case types.VirtualMachinePowerStateSuspended:
		return "Suspended"
	}
	return "Powered off"
}

// soapFault is a fault for a method that is not a task (UpdatePortGroup): the SOAP Fault's
// faultstring carries the message, detail the fault object.
func soapFault(f types.BaseMethodFault) *soap.Fault {
	return simulator.Fault(faultMessage(f), f)
}

// runTask runs a task made with simulator.CreateTask as vcsim's Task.Run does (synchronously,
// each state change told to the PropertyCollector), with vCenter's message for a fault.
func runTask(t *simulator.Task) types.ManagedObjectReference {
	simulator.Map.Update(t, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
	res, err := t.Execute(t)
	state := types.TaskInfoStateSuccess
	var fault interface{}
	if err != nil {
		state = types.TaskInfoStateError
		fault = types.LocalizedMethodFault{Fault: err, LocalizedMessage: faultMessage(err)}
	}
	simulator.Map.Update(t, []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.state", Val: state},
		{Name: "info.result", Val: res},
		{Name: "info.error", Val: fault},
	})
	return t.Self
}
