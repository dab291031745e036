import Gradus
print("placeholder")
